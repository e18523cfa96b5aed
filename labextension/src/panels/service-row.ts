/** One service in the Services panel's lists: its status, message, actions and panes. */
import type { TranslationBundle } from '@jupyterlab/translation';

import { el } from '../dom';
import { elapsedSeconds } from '../format';
import type { Language } from '../i18n';
import { localized } from '../schema-form';
import type { ICatalogEntry, IService, ServicesClient } from '../services-api';
import { connectionPane, logsPane } from './service-details';
import { entryIcon } from './service-icon';

/** What a row needs from its panel (the panel owns the client and the refreshes). */
export interface IServiceHost {
  readonly trans: TranslationBundle;
  readonly language: Language;
  readonly client: ServicesClient;
  entry(id: string): ICatalogEntry | undefined;
  projects(): Promise<string[]>;
  act(action: () => Promise<unknown>): Promise<void>;
  remove(service: IService): Promise<void>;
}

/** A service's status in words (the API sends one of four words). */
export function statusLabel(trans: TranslationBundle, status: string): string {
  const labels: Record<string, string> = {
    starting: trans._p('service status', 'starting'),
    ready: trans._p('service status', 'ready'),
    failed: trans._p('service status', 'failed'),
    stopped: trans._p('service status', 'stopped')
  };
  return labels[status] ?? status;
}

export class ServiceRow {
  constructor(
    private readonly _host: IServiceHost,
    service: IService
  ) {
    this.node = el('li', 'jp-Datalab-service');
    this.node.dataset.service = `${service.owner}/${service.name}`;
    this._service = service;
    this._head = el('div', 'jp-Datalab-serviceHead');
    this._meta = el('div', 'jp-Datalab-serviceMeta');
    this._progress = el('div', 'jp-Datalab-serviceProgress');
    this._progress.setAttribute('role', 'progressbar');
    this._message = el('p', 'jp-Datalab-serviceMessage');
    this._actions = el('div', 'jp-Datalab-serviceActions');
    this._share = el('div', 'jp-Datalab-serviceShare');
    this._logs = el('div', 'jp-Datalab-servicePane jp-Datalab-serviceLogs');
    this._connection = el('div', 'jp-Datalab-servicePane jp-Datalab-serviceConnection');
    this._share.hidden = this._logs.hidden = this._connection.hidden = true;
    this.node.append(this._head, this._meta, this._progress, this._message, this._actions,
      this._share, this._logs, this._connection);
    this.update(service);
  }

  get service(): IService {
    return this._service;
  }

  update(service: IService): void {
    const before = JSON.stringify(this._service.connection ?? {});
    this._service = service;
    const { trans, language } = this._host;
    this.node.dataset.status = service.status;
    this.node.dataset.shared = String(service.shared);

    const entry = this._host.entry(service.entry);
    const kind = [localized(entry?.name ?? service.entry_name, language, service.entry), service.version];
    const names = el('div', 'jp-Datalab-serviceNames');
    names.append(el('span', 'jp-Datalab-serviceName', service.name),
      el('span', 'jp-Datalab-serviceKind', kind.filter(Boolean).join(' ')));
    const badge = el('span', 'jp-Datalab-serviceStatus', statusLabel(trans, service.status));
    badge.dataset.status = service.status;
    this._head.replaceChildren(entryIcon(entry?.icon ?? service.icon, service.entry), names, badge);

    const meta: string[] = [];
    if (!service.mine) {
      meta.push(trans.__('by %1', service.owner));
    }
    if (service.shared && service.project) {
      meta.push(trans.__('shared with %1', service.project));
    }
    this._meta.textContent = meta.join(' · ');
    this._meta.hidden = !meta.length;

    const starting = service.status === 'starting';
    this._progress.hidden = !starting;
    if (starting) {
      const elapsed = trans.__('Starting… %1 s', elapsedSeconds(service.created));
      this._progress.replaceChildren(el('div', 'jp-Datalab-serviceBar'), el('span', 'jp-Datalab-serviceElapsed', elapsed));
      this._progress.setAttribute('aria-valuetext', elapsed);
    }
    const message = localized(service.message, language);
    this._message.textContent = message;
    this._message.hidden = !message || service.status === 'ready';
    this._message.classList.toggle('jp-mod-error', service.status === 'failed');

    if (!service.mine || service.shared) {
      this._share.hidden = true;
    }
    this._renderActions();
    if (!this._logs.hidden && starting) {
      void this._loadLogs();
    }
    if (!this._connection.hidden && JSON.stringify(service.connection ?? {}) !== before) {
      this._renderConnection();
    }
  }

  private _renderActions(): void {
    const s = this._service;
    const { trans, client } = this._host;
    // rebuilt only when they change: a poll must not steal the keyboard focus
    const key = JSON.stringify([s.status, s.url, s.mine, s.shared, s.can_delete,
      this._logs.hidden, this._connection.hidden, this._share.hidden]);
    if (key === this._actionsKey) {
      return;
    }
    this._actionsKey = key;
    const buttons: HTMLElement[] = [];
    const button = (label: string, action: string, run: () => void, pressed?: boolean) => {
      const b = el('button', 'jp-Datalab-button', label);
      b.dataset.action = action;
      b.onclick = run;
      if (pressed !== undefined) {
        b.setAttribute('aria-expanded', String(pressed));
      }
      buttons.push(b);
      return b;
    };
    if (s.status === 'ready' && s.url) {
      const open = el('a', 'jp-Datalab-button jp-Datalab-buttonPrimary', trans.__('Open'));
      open.href = s.url;
      open.target = '_blank';
      open.rel = 'noopener noreferrer';
      open.dataset.action = 'open';
      buttons.push(open);
    }
    button(this._logs.hidden ? trans.__('Logs') : trans.__('Hide logs'), 'logs', () => this._toggleLogs(), !this._logs.hidden);
    button(this._connection.hidden ? trans.__('Connection') : trans.__('Hide connection'), 'connection',
      () => this._toggleConnection(), !this._connection.hidden);
    if (s.mine && s.shared) {
      button(trans.__('Unshare'), 'unshare', () => void this._host.act(() => client.unshare(s)));
    } else if (s.mine) {
      button(trans.__('Share'), 'share', () => void this._toggleShare(), !this._share.hidden);
    }
    if (s.status === 'stopped' || s.status === 'failed') {
      button(trans.__('Start'), 'start', () => void this._host.act(() => client.start(s)));
    } else {
      button(trans.__('Stop'), 'stop', () => void this._host.act(() => client.stop(s)));
    }
    if (s.can_delete) {
      button(trans.__('Delete'), 'delete', () => void this._host.remove(s)).classList.add('jp-mod-warn');
    }
    this._actions.replaceChildren(...buttons);
  }

  private async _toggleShare(): Promise<void> {
    if (!this._share.hidden) {
      this._share.hidden = true;
      this._renderActions();
      return;
    }
    const projects = await this._host.projects();
    const trans = this._host.trans;
    if (!projects.length) {
      this._share.replaceChildren(el('p', 'jp-Datalab-emptyState', trans.__('You are not a member of any project.')));
    } else {
      const label = el('label', 'jp-Datalab-formLabel', trans.__('Share with project'));
      const select = el('select', 'jp-Datalab-formSelect');
      select.dataset.action = 'share-project';
      for (const project of projects) {
        const option = el('option', undefined, project);
        option.value = project;
        select.append(option);
      }
      label.append(select);
      const go = el('button', 'jp-Datalab-button jp-Datalab-buttonPrimary', trans.__('Share'));
      go.dataset.action = 'share-confirm';
      go.onclick = () => {
        this._share.hidden = true;
        void this._host.act(() => this._host.client.share(this._service, select.value));
      };
      this._share.replaceChildren(label, go);
    }
    this._share.hidden = false;
    this._renderActions();
  }

  private _toggleLogs(): void {
    this._logs.hidden = !this._logs.hidden;
    this._renderActions();
    if (!this._logs.hidden) {
      void this._loadLogs();
    }
  }

  private async _loadLogs(): Promise<void> {
    const { trans, language, client } = this._host;
    this._logs.replaceChildren(...(await logsPane(trans, language, client, this._service, () => void this._loadLogs())));
  }

  private _toggleConnection(): void {
    this._connection.hidden = !this._connection.hidden;
    if (this._connection.hidden) {
      this._revealed = false;
    } else {
      this._renderConnection();
    }
    this._renderActions();
  }

  private _renderConnection(): void {
    this._connection.replaceChildren(...connectionPane(this._host.trans, this._service, this._revealed, () => {
      this._revealed = !this._revealed;
      this._renderConnection();
    }));
  }

  readonly node: HTMLLIElement;
  private _service: IService;
  private _revealed = false;
  private _actionsKey = '';
  private readonly _head: HTMLDivElement;
  private readonly _meta: HTMLDivElement;
  private readonly _progress: HTMLDivElement;
  private readonly _message: HTMLParagraphElement;
  private readonly _actions: HTMLDivElement;
  private readonly _share: HTMLDivElement;
  private readonly _logs: HTMLDivElement;
  private readonly _connection: HTMLDivElement;
}
