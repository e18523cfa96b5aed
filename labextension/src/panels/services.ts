/**
 * Services: companion services (databases, MLflow, apps) launched from the
 * catalog, the user's own and those shared with their projects, with live
 * status, logs, connection details and actions. Talks only to its own client,
 * services-api.ts.
 *
 * Connection values may hold passwords: they are masked until asked for, live
 * only in memory and the DOM, and are never logged nor put in local storage.
 */
import { Clipboard, Dialog, showDialog } from '@jupyterlab/apputils';
import type { Message } from '@lumino/messaging';

import type { IMessages, IServicesMessages, Language } from '../i18n';
import {
  ICatalogEntry,
  IService,
  ServicesClient
} from '../services-api';
import { el, messageOf } from '../dom';
import { localized, SchemaForm } from '../schema-form';
import { DatalabPanel } from './panel';

/** Poll every 2 s while a service starts, else every 10 s (30 s when hidden). */
const FAST_POLL = 2000;
const SLOW_POLL = 10000;
const IDLE_POLL = 30000;
const MASK = '••••••••';

/** Monograms for the catalog's icon names (an https: or data: icon is shown as is). */
const MONOGRAMS: Record<string, [string, string]> = {
  postgresql: ['PG', 'var(--jp-brand-color1)'],
  database: ['DB', 'var(--jp-brand-color1)'],
  mlflow: ['ML', 'var(--jp-success-color1)'],
  redis: ['Rd', 'var(--jp-error-color1)'],
  app: ['App', 'var(--jp-accent-color1)'],
  streamlit: ['St', 'var(--jp-error-color1)'],
  python: ['Py', 'var(--jp-brand-color1)'],
  jupyter: ['Ju', 'var(--jp-warn-color1)']
};

/** The icon of a catalog entry: its image, or a coloured monogram. */
export function entryIcon(icon: string | undefined, fallback: string): HTMLElement {
  const name = icon ?? '';
  if (name.startsWith('https://') || name.startsWith('data:image/')) {
    const img = el('img', 'jp-Datalab-serviceIcon');
    img.src = name;
    img.alt = '';
    return img;
  }
  const [letters, colour] = MONOGRAMS[name] ?? [
    (name || fallback).slice(0, 2).replace(/^./, c => c.toUpperCase()) || '?',
    'var(--jp-layout-color4)'
  ];
  const span = el('span', 'jp-Datalab-serviceIcon', letters);
  span.style.setProperty('--jp-Datalab-iconColour', colour);
  span.setAttribute('aria-hidden', 'true');
  return span;
}

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|(^|_)KEY$)/i;
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)([^@\s]+)(@)/i;

/** A connection value as shown while hidden: secrets masked, passwords cut out of URLs. */
export function maskValue(name: string, value: string): { shown: string; secret: boolean } {
  if (SECRET_NAME.test(name)) {
    return { shown: MASK, secret: true };
  }
  if (URL_PASSWORD.test(value)) {
    return { shown: value.replace(URL_PASSWORD, `$1${MASK}$3`), secret: true };
  }
  return { shown: value, secret: false };
}

/**
 * Ready-to-paste Python using the variables new kernels get: a client per kind
 * of service the variables point to, then every variable by name. The code
 * reads `os.environ`, so it never holds a password itself.
 */
export function connectionSnippets(
  connection: Record<string, string>,
  suffix = ''
): { label: string; code: string }[] {
  const out: { label: string; code: string }[] = [];
  const names = Object.keys(connection);
  const env = (name: string) => `os.environ["${kernelName(name, suffix)}"]`;
  for (const name of names) {
    const value = connection[name] ?? '';
    if (/MLFLOW_TRACKING_URI$/.test(name)) {
      out.push({
        label: 'MLflow',
        code: `import os\nimport mlflow\n\nmlflow.set_tracking_uri(${env(name)})\nwith mlflow.start_run():\n    mlflow.log_metric("score", 1.0)`
      });
    } else if (/^postgres(ql)?:\/\//.test(value) || /(DATABASE|POSTGRES\w*)_URL$/.test(name)) {
      out.push({
        label: 'PostgreSQL (psycopg)',
        code: `import os\nimport psycopg\n\nconn = psycopg.connect(${env(name)})\nprint(conn.execute("SELECT version()").fetchone())`
      });
      out.push({
        label: 'PostgreSQL (pandas + SQLAlchemy)',
        code:
          'import os\nimport pandas as pd\nfrom sqlalchemy import create_engine\n\n' +
          `engine = create_engine(${env(name)}.replace("postgresql://", "postgresql+psycopg://", 1))\n` +
          'df = pd.read_sql("SELECT 1 AS one", engine)'
      });
    } else if (/^rediss?:\/\//.test(value) || /REDIS\w*_URL$/.test(name)) {
      out.push({
        label: 'Redis',
        code: `import os\nimport redis\n\nr = redis.Redis.from_url(${env(name)})\nr.ping()`
      });
    }
  }
  if (names.length) {
    out.push({
      label: 'Python (os.environ)',
      code: 'import os\n\n' + names.map(n => `${n.toLowerCase()} = ${env(n)}`).join('\n')
    });
  }
  return out;
}

function kernelName(name: string, suffix: string): string {
  return suffix ? `${name}_${suffix}` : name;
}

/** One service in a list: its status, message, actions and detail panes. */
class ServiceRow {
  constructor(
    private readonly _panel: ServicesPanel,
    service: IService
  ) {
    this._m = _panel.m;
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
    this._share.hidden = true;
    this._logs = el('div', 'jp-Datalab-servicePane jp-Datalab-serviceLogs');
    this._logs.hidden = true;
    this._connection = el('div', 'jp-Datalab-servicePane jp-Datalab-serviceConnection');
    this._connection.hidden = true;
    this.node.append(
      this._head, this._meta, this._progress, this._message, this._actions,
      this._share, this._logs, this._connection
    );
    this.update(service);
  }

  get service(): IService {
    return this._service;
  }

  update(service: IService): void {
    const before = JSON.stringify(this._service.connection ?? {});
    this._service = service;
    const m = this._m;
    this.node.dataset.status = service.status;
    this.node.dataset.shared = String(service.shared);

    const entry = this._panel.entry(service.entry);
    const title = el('span', 'jp-Datalab-serviceName', service.name);
    const kind = el(
      'span',
      'jp-Datalab-serviceKind',
      [localized(entry?.name ?? service.entry_name, this._panel.language, service.entry), service.version]
        .filter(Boolean)
        .join(' ')
    );
    const badge = el('span', 'jp-Datalab-serviceStatus', m.status[service.status] ?? service.status);
    badge.dataset.status = service.status;
    const names = el('div', 'jp-Datalab-serviceNames');
    names.append(title, kind);
    this._head.replaceChildren(entryIcon(entry?.icon ?? service.icon, service.entry), names, badge);

    const meta: string[] = [];
    if (!service.mine) {
      meta.push(m.ownedBy(service.owner));
    }
    if (service.shared && service.project) {
      meta.push(m.sharedWith(service.project));
    }
    this._meta.textContent = meta.join(' · ');
    this._meta.hidden = !meta.length;

    const starting = service.status === 'starting';
    this._progress.hidden = !starting;
    if (starting) {
      const seconds = Math.max(0, Math.round(Date.now() / 1000 - (service.created || Date.now() / 1000)));
      this._progress.replaceChildren(
        el('div', 'jp-Datalab-serviceBar'),
        el('span', 'jp-Datalab-serviceElapsed', m.startingFor(seconds))
      );
      this._progress.setAttribute('aria-valuetext', m.startingFor(seconds));
    }
    const message = localized(service.message, this._panel.language);
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
    const m = this._m;
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
      const open = el('a', 'jp-Datalab-button jp-Datalab-buttonPrimary', m.open);
      open.href = s.url;
      open.target = '_blank';
      open.rel = 'noopener noreferrer';
      open.dataset.action = 'open';
      buttons.push(open);
    }
    button(this._logs.hidden ? m.logs : m.hideLogs, 'logs', () => this._toggleLogs(), !this._logs.hidden);
    button(
      this._connection.hidden ? m.connection : m.hideConnection,
      'connection',
      () => this._toggleConnection(),
      !this._connection.hidden
    );
    if (s.mine) {
      if (s.shared) {
        button(m.unshare, 'unshare', () => void this._panel.act(() => this._panel.client.unshare(s)));
      } else {
        button(m.share, 'share', () => void this._toggleShare(), !this._share.hidden);
      }
    }
    if (s.status === 'stopped' || s.status === 'failed') {
      button(m.start, 'start', () => void this._panel.act(() => this._panel.client.start(s)));
    } else {
      button(m.stop, 'stop', () => void this._panel.act(() => this._panel.client.stop(s)));
    }
    if (s.can_delete) {
      button(m.delete, 'delete', () => void this._panel.remove(s)).classList.add('jp-mod-warn');
    }
    this._actions.replaceChildren(...buttons);
  }

  private async _toggleShare(): Promise<void> {
    if (!this._share.hidden) {
      this._share.hidden = true;
      this._renderActions();
      return;
    }
    const projects = await this._panel.projects();
    const m = this._m;
    if (!projects.length) {
      this._share.replaceChildren(el('p', 'jp-Datalab-emptyState', m.noProjects));
    } else {
      const label = el('label', 'jp-Datalab-formLabel', m.shareWith);
      const select = el('select', 'jp-Datalab-formSelect');
      select.dataset.action = 'share-project';
      for (const project of projects) {
        const option = el('option', undefined, project);
        option.value = project;
        select.append(option);
      }
      label.append(select);
      const go = el('button', 'jp-Datalab-button jp-Datalab-buttonPrimary', m.share);
      go.dataset.action = 'share-confirm';
      go.onclick = () => {
        this._share.hidden = true;
        void this._panel.act(() => this._panel.client.share(this._service, select.value));
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
    const m = this._m;
    const refresh = el('button', 'jp-Datalab-button', m.refresh);
    refresh.dataset.action = 'refresh-logs';
    refresh.onclick = () => void this._loadLogs();
    const client = this._panel.client;
    const [events, lines] = await Promise.allSettled([
      client.events(this._service),
      client.logs(this._service, 200)
    ]);
    const parts: HTMLElement[] = [refresh];
    if (events.status === 'fulfilled' && events.value.length) {
      const list = el('ul', 'jp-Datalab-serviceEvents');
      list.setAttribute('aria-label', m.events);
      for (const event of events.value.slice(-20)) {
        const when = typeof event.time === 'number' ? new Date(event.time * 1000) : new Date(event.time);
        const li = el('li');
        li.append(
          el('time', undefined, isNaN(when.getTime()) ? String(event.time) : when.toLocaleTimeString()),
          ` ${localized(event.message, this._panel.language)}`
        );
        list.append(li);
      }
      parts.push(list);
    }
    if (lines.status === 'fulfilled') {
      const pre = el('pre', 'jp-Datalab-serviceLogLines', lines.value.length ? lines.value.join('\n') : m.noLogs);
      parts.push(pre);
      // show the end: the latest lines are what matters
      requestAnimationFrame(() => (pre.scrollTop = pre.scrollHeight));
    } else {
      parts.push(el('p', 'jp-Datalab-serviceMessage jp-mod-error', m.failed(messageOf(lines.reason))));
    }
    this._logs.replaceChildren(...parts);
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
    const m = this._m;
    const connection = this._service.connection ?? {};
    const names = Object.keys(connection);
    if (!names.length) {
      this._connection.replaceChildren(el('p', 'jp-Datalab-emptyState', m.noConnection));
      return;
    }
    const table = el('table', 'jp-Datalab-serviceVars');
    let secrets = false;
    for (const name of names) {
      const value = String(connection[name] ?? '');
      const masked = maskValue(name, value);
      secrets ||= masked.secret;
      const tr = el('tr');
      tr.dataset.var = name;
      const cell = el('td', 'jp-Datalab-serviceVarValue', this._revealed ? value : masked.shown);
      const copy = el('button', 'jp-Datalab-button', m.copy);
      copy.dataset.action = 'copy-var';
      copy.title = `${m.copy} ${name}`;
      copy.onclick = () => {
        Clipboard.copyToSystem(value);
        copy.textContent = m.copied;
        setTimeout(() => (copy.textContent = m.copy), 1500);
      };
      const actions = el('td', 'jp-Datalab-serviceVarCopy');
      actions.append(copy);
      tr.append(el('th', undefined, name), cell, actions);
      table.append(tr);
    }
    const suffix = this._service.suffix;
    const parts: HTMLElement[] = [el('p', 'jp-Datalab-formHelp', m.connectionHelp(kernelName(names[0], suffix))), table];
    if (secrets) {
      const reveal = el('button', 'jp-Datalab-button', this._revealed ? m.hide : m.reveal);
      reveal.dataset.action = 'reveal';
      reveal.onclick = () => {
        this._revealed = !this._revealed;
        this._renderConnection();
      };
      parts.push(reveal);
    }
    for (const snippet of connectionSnippets(connection, suffix)) {
      const head = el('div', 'jp-Datalab-snippetHead');
      const copy = el('button', 'jp-Datalab-button', m.copy);
      copy.dataset.action = 'copy-snippet';
      copy.onclick = () => {
        Clipboard.copyToSystem(snippet.code);
        copy.textContent = m.copied;
        setTimeout(() => (copy.textContent = m.copy), 1500);
      };
      head.append(el('span', undefined, snippet.label), copy);
      const block = el('div', 'jp-Datalab-snippet');
      block.dataset.snippet = snippet.label;
      block.append(head, el('pre', undefined, snippet.code));
      parts.push(block);
    }
    this._connection.replaceChildren(...parts);
  }

  readonly node: HTMLLIElement;
  private _service: IService;
  private _revealed = false;
  private _actionsKey = '';
  private readonly _m: IServicesMessages;
  private readonly _head: HTMLDivElement;
  private readonly _meta: HTMLDivElement;
  private readonly _progress: HTMLDivElement;
  private readonly _message: HTMLParagraphElement;
  private readonly _actions: HTMLDivElement;
  private readonly _share: HTMLDivElement;
  private readonly _logs: HTMLDivElement;
  private readonly _connection: HTMLDivElement;
}

export class ServicesPanel extends DatalabPanel {
  constructor(messages: IMessages, client?: ServicesClient) {
    super({ kind: 'services', title: messages.servicesTitle });
    this.m = messages.services;
    this.language = messages.language;
    this.client = client ?? new ServicesClient(undefined, messages.language);
    this.addClass('jp-Datalab-services');

    const toolbar = el('div', 'jp-Datalab-storage-toolbar');
    const refresh = el('button', 'jp-Datalab-button', this.m.refresh);
    refresh.dataset.action = 'refresh';
    refresh.onclick = () => void this.refresh();
    toolbar.append(refresh);

    const section = (title: string, className: string, list: HTMLElement) => {
      const node = el('section', `jp-Datalab-servicesSection ${className}`);
      node.append(el('h3', 'jp-Datalab-servicesHeading', title), list);
      return node;
    };
    this._mine = el('ul', 'jp-Datalab-serviceList');
    this._mineEmpty = el('p', 'jp-Datalab-emptyState', this.m.mineEmpty);
    this._shared = el('ul', 'jp-Datalab-serviceList');
    this._sharedSection = section(this.m.project, 'jp-Datalab-servicesProject', this._shared);
    this._cards = el('div', 'jp-Datalab-serviceCards');
    const mine = section(this.m.mine, 'jp-Datalab-servicesMine', this._mine);
    mine.append(this._mineEmpty);
    this._home = el('div', 'jp-Datalab-servicesHome');
    this._home.append(
      toolbar,
      mine,
      this._sharedSection,
      section(this.m.launchTitle, 'jp-Datalab-servicesCatalog', this._cards)
    );
    this._form = el('div', 'jp-Datalab-servicesLaunch');
    this._form.hidden = true;
    this.body.replaceChildren(this.status, this._home, this._form);
    void this.start();
  }

  /** Load the catalog and the services, then keep the list live. */
  async start(): Promise<void> {
    if (this._loading) {
      return;
    }
    this._loading = true;
    this.setStatus(this.m.loading);
    try {
      this._catalog = await this.client.catalog();
    } catch (error) {
      this.setStatus(this.m.failed(messageOf(error)), true);
      this._schedule(SLOW_POLL);
      return;
    } finally {
      this._loading = false;
    }
    this._renderCatalog();
    this.setStatus('');
    await this.refresh();
  }

  /** Ask for the services now; the next poll is planned from their states. */
  async refresh(): Promise<void> {
    clearTimeout(this._timer);
    if (!this._catalog) {
      return this.start();
    }
    try {
      this._render(await this.client.list());
      if (this._pollFailed) {
        this.setStatus('');
        this._pollFailed = false;
      }
    } catch (error) {
      this.setStatus(this.m.failed(messageOf(error)), true);
      this._pollFailed = true;
    }
    const starting = [...this._rows.values()].some(r => r.service.status === 'starting');
    this._schedule(starting ? FAST_POLL : SLOW_POLL);
  }

  /** The catalog entry a service was launched from, if the catalog still has it. */
  entry(id: string): ICatalogEntry | undefined {
    return this._catalog?.find(e => e.id === id);
  }

  /** The user's projects, asked once. */
  async projects(): Promise<string[]> {
    this._projects ??= this.client.projects();
    return this._projects;
  }

  /** Run an action on a service, then refresh; a refusal is shown in words. */
  async act(action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
      this.setStatus('');
    } catch (error) {
      this.setStatus(this.m.failed(messageOf(error)), true);
    }
    await this.refresh();
  }

  async remove(service: IService): Promise<void> {
    const result = await showDialog({
      title: this.m.delete,
      body: this.m.deleteConfirm(service.name),
      buttons: [Dialog.cancelButton({ label: this.m.cancel }), Dialog.warnButton({ label: this.m.delete })]
    });
    if (result.button.accept) {
      await this.act(() => this.client.remove(service));
    }
  }

  /** Shown again (the sidebar was collapsed): catch up at once. */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this._catalog) {
      void this.refresh();
    }
  }

  /** A passing sentence (not an error), cleared after a few seconds. */
  private _flash(text: string): void {
    this.setStatus(text);
    window.setTimeout(() => {
      if (this.status.textContent === text) {
        this.setStatus('');
      }
    }, 6000);
  }

  dispose(): void {
    clearTimeout(this._timer);
    super.dispose();
  }

  private _schedule(delay: number): void {
    clearTimeout(this._timer);
    if (this.isDisposed) {
      return;
    }
    // a collapsed sidebar or a background tab needs no fast updates
    const idle = document.hidden || !this.isVisible;
    this._timer = window.setTimeout(() => void this.refresh(), idle ? Math.max(delay, IDLE_POLL) : delay);
  }

  private _render(services: IService[]): void {
    const seen = new Set<string>();
    const mine: HTMLElement[] = [];
    const shared: HTMLElement[] = [];
    const sorted = [...services].sort((a, b) => (b.created || 0) - (a.created || 0));
    for (const service of sorted) {
      const key = `${service.owner}/${service.name}`;
      seen.add(key);
      let row = this._rows.get(key);
      if (row) {
        row.update(service);
      } else {
        row = new ServiceRow(this, service);
        this._rows.set(key, row);
      }
      (service.mine ? mine : shared).push(row.node);
    }
    for (const key of [...this._rows.keys()]) {
      if (!seen.has(key)) {
        this._rows.get(key)!.node.remove();
        this._rows.delete(key);
      }
    }
    // re-appending moves rows without rebuilding them: open panes stay open
    this._mine.append(...mine);
    this._shared.append(...shared);
    this._mineEmpty.hidden = mine.length > 0;
    this._sharedSection.hidden = shared.length === 0;
  }

  private _renderCatalog(): void {
    const entries = this._catalog ?? [];
    if (!entries.length) {
      this._cards.replaceChildren(el('p', 'jp-Datalab-emptyState', this.m.catalogEmpty));
      return;
    }
    this._cards.replaceChildren(
      ...entries.map(entry => {
        const card = el('button', 'jp-Datalab-serviceCard');
        card.dataset.entry = entry.id;
        const text = el('span', 'jp-Datalab-serviceCardText');
        text.append(
          el('span', 'jp-Datalab-serviceCardName', localized(entry.name, this.language, entry.id)),
          el('span', 'jp-Datalab-serviceCardDescription', localized(entry.description, this.language))
        );
        card.title = localized(entry.description, this.language);
        if (entry.unavailable) {
          card.disabled = true;
          card.setAttribute('aria-disabled', 'true');
          text.append(
            el('span', 'jp-Datalab-serviceCardUnavailable',
              `${this.m.unavailable}: ${localized(entry.unavailable, this.language)}`)
          );
        } else {
          card.onclick = () => this._showForm(entry);
        }
        card.append(entryIcon(entry.icon, entry.id), text);
        return card;
      })
    );
  }

  /** The launch form of an entry, in place of the lists. */
  private _showForm(entry: ICatalogEntry): void {
    const m = this.m;
    const back = el('button', 'jp-Datalab-crumb', `← ${m.back}`);
    back.dataset.action = 'back';
    back.onclick = () => this._showHome();

    const head = el('div', 'jp-Datalab-serviceHead');
    const names = el('div', 'jp-Datalab-serviceNames');
    names.append(
      el('span', 'jp-Datalab-serviceName', localized(entry.name, this.language, entry.id)),
      el('span', 'jp-Datalab-serviceKind', localized(entry.description, this.language))
    );
    head.append(entryIcon(entry.icon, entry.id), names);

    const schema = new SchemaForm(entry.schema ?? {}, this.language, m.units);
    const form = el('form', 'jp-Datalab-launchForm');
    form.dataset.entry = entry.id;
    const nameField = el('div', 'jp-Datalab-formField');
    const nameLabel = el('label', 'jp-Datalab-formLabel', m.instanceName);
    const name = el('input', 'jp-Datalab-formInput');
    name.id = `jp-Datalab-launchName-${entry.id}`;
    name.name = 'instance-name';
    name.autocomplete = 'off';
    name.maxLength = 40;
    name.title = m.instanceNameHelp;
    nameLabel.htmlFor = name.id;
    nameField.append(nameLabel, name, el('div', 'jp-Datalab-formHelp', m.instanceNameHelp));

    const launch = el('button', 'jp-Datalab-button jp-Datalab-buttonPrimary', m.launch);
    launch.type = 'submit';
    launch.dataset.action = 'launch';
    const problem = el('p', 'jp-Datalab-storage-status jp-mod-error jp-Datalab-launchError');
    problem.setAttribute('role', 'alert');
    problem.hidden = true;
    form.append(nameField, schema.node, problem, launch);
    form.onsubmit = async event => {
      event.preventDefault();
      if (!form.reportValidity()) {
        return;
      }
      launch.disabled = true;
      launch.textContent = m.launching;
      problem.hidden = true;
      try {
        const service = await this.client.launch(entry.id, schema.values(), name.value.trim() || undefined);
        this._showHome();
        this._flash(m.launched(service.name ?? entry.id));
        await this.refresh();
      } catch (error) {
        // the server's sentence as is: out of bounds, quota exceeded, binary missing...
        problem.textContent = m.failed(messageOf(error));
        problem.hidden = false;
        launch.disabled = false;
        launch.textContent = m.launch;
      }
    };
    this._form.replaceChildren(back, head, form);
    this._home.hidden = true;
    this._form.hidden = false;
    this.setStatus('');
    name.focus();
  }

  private _showHome(): void {
    this._form.hidden = true;
    this._form.replaceChildren();
    this._home.hidden = false;
  }

  readonly m: IServicesMessages;
  readonly language: Language;
  readonly client: ServicesClient;
  private readonly _home: HTMLDivElement;
  private readonly _form: HTMLDivElement;
  private readonly _mine: HTMLUListElement;
  private readonly _mineEmpty: HTMLParagraphElement;
  private readonly _shared: HTMLUListElement;
  private readonly _sharedSection: HTMLElement;
  private readonly _cards: HTMLDivElement;
  private readonly _rows = new Map<string, ServiceRow>();
  private _catalog: ICatalogEntry[] | null = null;
  private _projects: Promise<string[]> | null = null;
  private _timer = 0;
  private _loading = false;
  private _pollFailed = false;
}
