/**
 * The Datalab sidebar: one section per capability, and a footer saying who is
 * signed in (or, in words, why the datalab server could not be reached).
 */
import { Panel, Widget } from '@lumino/widgets';

import { DatalabApiError, IDatalabInfo } from './api';
import type { IMessages } from './i18n';
import { datalabIcon } from './icon';
import { SecretsPanel } from './panels/secrets';
import { ServicesPanel } from './panels/services';
import { StoragePanel } from './panels/storage';

export const SIDEBAR_ID = 'datalab-sidebar';

export interface ISidebarOptions {
  messages: IMessages;
  /** Where the footer's information comes from (the server extension). */
  fetchInfo: () => Promise<IDatalabInfo>;
}

export class DatalabSidebar extends Panel {
  constructor(options: ISidebarOptions) {
    super();
    this._messages = options.messages;
    this._fetchInfo = options.fetchInfo;

    this.id = SIDEBAR_ID;
    this.addClass('jp-Datalab-sidebar');
    this.title.icon = datalabIcon;
    this.title.caption = this._messages.sidebarTitle;

    const heading = new Widget({ node: document.createElement('h1') });
    heading.addClass('jp-Datalab-title');
    heading.node.textContent = this._messages.sidebarTitle;

    const panels = new Panel();
    panels.addClass('jp-Datalab-panels');
    panels.addWidget(new StoragePanel(this._messages));
    panels.addWidget(new SecretsPanel(this._messages));
    panels.addWidget(new ServicesPanel(this._messages));

    this._info = new Widget();
    this._info.addClass('jp-Datalab-info');
    this._info.node.setAttribute('role', 'status');
    this._info.node.setAttribute('aria-live', 'polite');

    this.addWidget(heading);
    this.addWidget(panels);
    this.addWidget(this._info);
  }

  /** Ask the server who is signed in and show it in the footer. */
  async refreshInfo(): Promise<void> {
    this._showInfo('loading', this._messages.infoLoading);
    try {
      const info = await this._fetchInfo();
      this._showInfo('ok', this._messages.infoSignedIn(info.user, info.version));
    } catch (error) {
      console.warn('jupyterhub-datalab: could not load datalab/api/info', error);
      this._showInfo('error', describeError(error, this._messages));
    }
  }

  private _showInfo(state: 'loading' | 'ok' | 'error', text: string): void {
    const node = this._info.node;
    node.dataset.state = state;
    node.classList.toggle('jp-mod-error', state === 'error');
    node.textContent = text;
  }

  private readonly _messages: IMessages;
  private readonly _fetchInfo: () => Promise<IDatalabInfo>;
  private readonly _info: Widget;
}

/** One sentence for the user; details go to the browser console. */
export function describeError(error: unknown, messages: IMessages): string {
  if (!(error instanceof DatalabApiError)) {
    return messages.errorUnreachable;
  }
  switch (error.kind) {
    case 'unreachable':
      return messages.errorUnreachable;
    case 'bad-answer':
      return messages.errorBadAnswer;
    case 'http': {
      const status = error.status ?? 0;
      if (status === 404) {
        return messages.errorNotEnabled(status);
      }
      if (status === 401 || status === 403) {
        return messages.errorSession(status);
      }
      return messages.errorServer(status);
    }
  }
}
