/**
 * jupyterhub-datalab: the Datalab sidebar (storage, secrets, services) and the
 * Datalab welcome page (first login, Launcher card, command palette).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator } from '@jupyterlab/translation';

import { fetchCatalog, fetchInfo } from './api';
import { messagesFor } from './i18n';
import { datalabIcon } from './icon';
import type { PanelKind } from './panels/panel';
import { DatalabSidebar } from './sidebar';
import { DatalabWelcome, WELCOME_ID } from './welcome';

export namespace CommandIDs {
  export const openSidebar = 'datalab:open-sidebar';
  export const openWelcome = 'datalab:open-welcome';
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
      // `{"panel": "storage"}` also brings that section into view
      execute: args => {
        app.shell.activateById(sidebar.id);
        const panel = typeof args?.panel === 'string' ? args.panel : '';
        const section = panel
          ? sidebar.node.querySelector<HTMLElement>(`.jp-Datalab-panel[data-panel="${CSS.escape(panel)}"]`)
          : null;
        if (section) {
          section.scrollIntoView({ block: 'start' });
          section.tabIndex = -1;
          section.focus({ preventScroll: true });
        }
      }
    });
    palette?.addItem({
      command: CommandIDs.openSidebar,
      category: messages.sidebarTitle
    });

    void sidebar.refreshInfo();
  }
};

const WELCOME_PLUGIN = 'jupyterhub-datalab:welcome';

const welcomePlugin: JupyterFrontEndPlugin<void> = {
  id: WELCOME_PLUGIN,
  description:
    'The Datalab welcome page: opened at the first login, then from the Launcher and the palette.',
  autoStart: true,
  optional: [ISettingRegistry, ILauncher, ICommandPalette, ILayoutRestorer, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    registry: ISettingRegistry | null,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
  ): void => {
    const messages = messagesFor(translator);
    const tracker = new WidgetTracker<MainAreaWidget<DatalabWelcome>>({
      namespace: 'datalab-welcome'
    });

    const open = (): MainAreaWidget<DatalabWelcome> => {
      let widget = tracker.currentWidget;
      if (!widget || widget.isDisposed) {
        const content = new DatalabWelcome({
          messages,
          fetchTrainings: () => fetchCatalog('training', app.serviceManager.serverSettings),
          openPanel: (panel: PanelKind) =>
            void app.commands.execute(CommandIDs.openSidebar, { panel })
        });
        widget = new MainAreaWidget({ content });
        widget.id = WELCOME_ID;
        widget.title.label = messages.welcome.tabTitle;
        widget.title.caption = messages.welcome.open;
        widget.title.icon = datalabIcon;
        widget.title.closable = true;
        void tracker.add(widget);
        app.shell.add(widget, 'main');
        void content.refresh();
      }
      app.shell.activateById(widget.id);
      return widget;
    };

    app.commands.addCommand(CommandIDs.openWelcome, {
      label: messages.welcome.open,
      caption: messages.welcome.heading,
      icon: args => (args?.isLauncher ? datalabIcon : undefined),
      execute: () => open()
    });
    palette?.addItem({ command: CommandIDs.openWelcome, category: messages.sidebarTitle });
    launcher?.add({ command: CommandIDs.openWelcome, category: messages.sidebarTitle, rank: 0 });
    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.openWelcome,
        name: () => 'welcome'
      });
    }

    // first login: open it once, and remember that in the user's settings (server side)
    if (registry) {
      void Promise.all([registry.load(WELCOME_PLUGIN), app.restored])
        .then(async ([settings]) => {
          if (settings.get('shown').composite === true) {
            return;
          }
          open();
          await settings.set('shown', true);
        })
        .catch(error => console.warn('jupyterhub-datalab: welcome page settings', error));
    }
  }
};

export default [sidebarPlugin, welcomePlugin];
