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
import { i18nFor } from './i18n';
import { datalabIcon } from './icon';
import type { PanelKind } from './panels/panel';
import { DEFAULT_INTERVALS, IPollIntervals } from './panels/services';
import { DatalabSidebar } from './sidebar';
import { DatalabWelcome, WELCOME_ID } from './welcome';

export namespace CommandIDs {
  export const openSidebar = 'datalab:open-sidebar';
  export const openWelcome = 'datalab:open-welcome';
}

const SIDEBAR_PLUGIN = 'jupyterhub-datalab:sidebar';

/** The Services poll's intervals from the sidebar's user settings. */
function intervalsOf(settings: ISettingRegistry.ISettings): IPollIntervals {
  const get = (name: string, fallback: number) => {
    const value = settings.get(name).composite;
    return typeof value === 'number' && value > 0 ? value : fallback;
  };
  const max = get('servicesMaxInterval', DEFAULT_INTERVALS.max);
  return {
    refresh: Math.min(get('servicesRefreshInterval', DEFAULT_INTERVALS.refresh), max),
    starting: Math.min(get('servicesStartingInterval', DEFAULT_INTERVALS.starting), max),
    max
  };
}

const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: SIDEBAR_PLUGIN,
  description: 'The Datalab sidebar: storage, secrets and companion services.',
  autoStart: true,
  optional: [ILayoutRestorer, ITranslator, ICommandPalette, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    registry: ISettingRegistry | null
  ): void => {
    const i18n = i18nFor(translator);
    const trans = i18n.trans;
    const sidebar = new DatalabSidebar({
      i18n,
      translator: translator ?? undefined,
      fetchInfo: () => fetchInfo(app.serviceManager.serverSettings)
    });

    app.shell.add(sidebar, 'left', { rank: 200 });
    restorer?.add(sidebar, sidebar.id);

    app.commands.addCommand(CommandIDs.openSidebar, {
      label: trans.__('Open the Datalab sidebar'),
      // `{"panel": "storage"}` also brings that section into view
      execute: args => {
        app.shell.activateById(sidebar.id);
        const panel = typeof args?.panel === 'string' ? args.panel : '';
        if (panel === 'storage' || panel === 'secrets' || panel === 'services') {
          sidebar.reveal(panel);
        }
      }
    });
    palette?.addItem({
      command: CommandIDs.openSidebar,
      category: trans.__('Datalab')
    });

    if (registry) {
      void registry
        .load(SIDEBAR_PLUGIN)
        .then(settings => {
          sidebar.services.setIntervals(intervalsOf(settings));
          settings.changed.connect(() => sidebar.services.setIntervals(intervalsOf(settings)));
        })
        .catch(error => console.warn('jupyterhub-datalab: sidebar settings', error));
    }
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
    const i18n = i18nFor(translator);
    const trans = i18n.trans;
    const tracker = new WidgetTracker<MainAreaWidget<DatalabWelcome>>({
      namespace: 'datalab-welcome'
    });

    const open = (): MainAreaWidget<DatalabWelcome> => {
      let widget = tracker.currentWidget;
      if (!widget || widget.isDisposed) {
        const content = new DatalabWelcome({
          i18n,
          fetchTrainings: () => fetchCatalog('training', app.serviceManager.serverSettings),
          openPanel: (panel: PanelKind) =>
            void app.commands.execute(CommandIDs.openSidebar, { panel })
        });
        widget = new MainAreaWidget({ content });
        widget.id = WELCOME_ID;
        widget.title.label = trans.__('Welcome');
        widget.title.caption = trans.__('Datalab welcome');
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
      label: trans.__('Datalab welcome'),
      caption: trans.__('Welcome to the datalab'),
      icon: args => (args?.isLauncher ? datalabIcon : undefined),
      execute: () => open()
    });
    palette?.addItem({ command: CommandIDs.openWelcome, category: trans.__('Datalab') });
    launcher?.add({ command: CommandIDs.openWelcome, category: trans.__('Datalab'), rank: 0 });
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
