/**
 * The Datalab sidebar: a JupyterLab `SidePanel` whose accordion holds one section
 * per capability (each with its toolbar in its header), and a footer saying who is
 * signed in (or, in words, why the datalab server could not be reached).
 */
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { SidePanel } from '@jupyterlab/ui-components';
import { AccordionPanel, PanelLayout, Widget } from '@lumino/widgets';

import { DatalabApiError, IDatalabInfo } from './api';
import type { II18n } from './i18n';
import { datalabIcon } from './icon';
import type { DatalabPanel, PanelKind } from './panels/panel';
import { SecretsPanel } from './panels/secrets';
import { IPollIntervals, ServicesPanel } from './panels/services';
import { StoragePanel } from './panels/storage';

export const SIDEBAR_ID = 'datalab-sidebar';

export interface ISidebarOptions {
  i18n: II18n;
  translator?: ITranslator;
  /** Where the footer's information comes from (the server extension). */
  fetchInfo: () => Promise<IDatalabInfo>;
  /** How often the Services section asks for the list (user settings). */
  intervals?: IPollIntervals;
}

export class DatalabSidebar extends SidePanel {
  constructor(options: ISidebarOptions) {
    super({ translator: options.translator });
    this._strings = options.i18n.trans;
    this._fetchInfo = options.fetchInfo;

    this.id = SIDEBAR_ID;
    this.addClass('jp-Datalab-sidebar');
    this.title.icon = datalabIcon;
    this.title.caption = this._strings.__('Datalab');

    const heading = new Widget({ node: document.createElement('h2') });
    heading.addClass('jp-Datalab-title');
    heading.node.textContent = this._strings.__('Datalab');
    this.header.addWidget(heading);

    this.services = new ServicesPanel(options.i18n, undefined, options.intervals);
    this._panels = [new StoragePanel(options.i18n), new SecretsPanel(options.i18n), this.services];
    this._panels.forEach(panel => this.addWidget(panel));
    // Secrets lists a few names; Storage and Services need the room (the person can drag)
    (this.content as AccordionPanel).setRelativeSizes([2, 1, 2]);

    this._info = new Widget();
    this._info.addClass('jp-Datalab-info');
    this._info.node.setAttribute('role', 'status');
    this._info.node.setAttribute('aria-live', 'polite');
    (this.layout as PanelLayout).addWidget(this._info);
  }

  /** Expand a section and bring it into view (the welcome page's buttons). */
  reveal(kind: PanelKind): void {
    const index = this._panels.findIndex(p => p.node.dataset.panel === kind);
    if (index < 0) {
      return;
    }
    const content = this.content as AccordionPanel;
    if (!this._panels[index].isVisible && typeof content.expand === 'function') {
      content.expand(index);
    }
    const section = this._panels[index].node;
    section.scrollIntoView({ block: 'start' });
    section.tabIndex = -1;
    section.focus({ preventScroll: true });
  }

  /** Ask the server who is signed in and show it in the footer. */
  async refreshInfo(): Promise<void> {
    this._showInfo('loading', this._strings.__('Connecting to datalab…'));
    try {
      const info = await this._fetchInfo();
      this._showInfo('ok', this._strings.__('Signed in as %1 · datalab %2', info.user, info.version));
    } catch (error) {
      console.warn('jupyterhub-datalab: could not load datalab/api/info', error);
      this._showInfo('error', describeError(error, this._strings));
    }
  }

  private _showInfo(state: 'loading' | 'ok' | 'error', text: string): void {
    const node = this._info.node;
    node.dataset.state = state;
    node.classList.toggle('jp-mod-error', state === 'error');
    node.textContent = text;
  }

  readonly services: ServicesPanel;
  private readonly _panels: DatalabPanel[];
  private readonly _strings: TranslationBundle;
  private readonly _fetchInfo: () => Promise<IDatalabInfo>;
  private readonly _info: Widget;
}

/** One sentence for the user; details go to the browser console. */
export function describeError(error: unknown, trans: TranslationBundle): string {
  if (!(error instanceof DatalabApiError)) {
    return trans.__('The datalab server cannot be reached. Check your connection and reload the page.');
  }
  switch (error.kind) {
    case 'unreachable':
      return trans.__('The datalab server cannot be reached. Check your connection and reload the page.');
    case 'bad-answer':
      return trans.__('The datalab server sent an answer the sidebar does not understand.');
    case 'http': {
      const status = error.status ?? 0;
      if (status === 404) {
        return trans.__('The datalab server extension is not enabled on this server (HTTP %1).', status);
      }
      if (status === 401 || status === 403) {
        return trans.__('Your session is no longer valid; reload the page to sign in again (HTTP %1).', status);
      }
      return trans.__('The datalab server could not answer (HTTP %1). Try again later.', status);
    }
  }
}
