/**
 * jupyterhub-datalab: the Datalab sidebar (storage, secrets, services).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ITranslator } from '@jupyterlab/translation';

import { fetchInfo } from './api';
import { messagesFor } from './i18n';
import { DatalabSidebar } from './sidebar';

export namespace CommandIDs {
  export const openSidebar = 'datalab:open-sidebar';
}

const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterhub-datalab:sidebar',
  description: 'The Datalab sidebar: storage, secrets and companion services.',
  autoStart: true,
  optional: [ILayoutRestorer, ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null,
    palette: ICommandPalette | null
  ): void => {
    const messages = messagesFor(translator);
    const sidebar = new DatalabSidebar({
      messages,
      fetchInfo: () => fetchInfo(app.serviceManager.serverSettings)
    });

    app.shell.add(sidebar, 'left', { rank: 200 });
    restorer?.add(sidebar, sidebar.id);

    app.commands.addCommand(CommandIDs.openSidebar, {
      label: messages.openSidebar,
      execute: () => app.shell.activateById(sidebar.id)
    });
    palette?.addItem({
      command: CommandIDs.openSidebar,
      category: messages.sidebarTitle
    });

    void sidebar.refreshInfo();
  }
};

export default sidebarPlugin;
