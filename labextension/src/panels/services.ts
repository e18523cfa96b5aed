/**
 * Services: companion services (databases, MLflow, apps) launched from the
 * catalog, the user's own and those shared with their projects, kept live by a
 * `Poll` (fast while one starts, slower otherwise, backing off on errors, on
 * standby while the panel or the page is hidden). Talks only to its own client,
 * services-api.ts; a row is service-row.ts, the launch form launch-form.ts.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { refreshIcon } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { Poll } from '@lumino/polling';

import { el, messageOf } from '../dom';
import type { II18n } from '../i18n';
import { localized } from '../schema-form';
import { ICatalogEntry, IService, ServicesClient } from '../services-api';
import { launchForm } from './launch-form';
import { DatalabPanel } from './panel';
import { IServiceHost, ServiceRow } from './service-row';
import { entryIcon } from './service-icon';

/** How often the list is asked for, in milliseconds (user settings of the sidebar plugin). */
export interface IPollIntervals {
  /** While no service starts. */
  refresh: number;
  /** While a service starts (its progress shows). */
  starting: number;
  /** The longest wait, when the server keeps failing (the poll backs off up to it). */
  max: number;
}

export const DEFAULT_INTERVALS: IPollIntervals = { refresh: 10000, starting: 2000, max: 120000 };

export class ServicesPanel extends DatalabPanel implements IServiceHost {
  constructor(i18n: II18n, client?: ServicesClient, intervals: IPollIntervals = DEFAULT_INTERVALS) {
    super({ kind: 'services', title: i18n.trans.__('Services'), i18n });
    this.client = client ?? new ServicesClient(undefined, i18n.language);
    this.addClass('jp-Datalab-services');
    const trans = this.trans;
    this.addAction('refresh', refreshIcon, trans.__('Refresh'), () => void this.refresh());

    const section = (title: string, className: string, list: HTMLElement) => {
      const node = el('section', `jp-Datalab-servicesSection ${className}`);
      node.append(el('h3', 'jp-Datalab-servicesHeading', title), list);
      return node;
    };
    this._mine = el('ul', 'jp-Datalab-serviceList');
    this._mineEmpty = el('p', 'jp-Datalab-emptyState', trans.__('You have no services yet: launch one below.'));
    this._shared = el('ul', 'jp-Datalab-serviceList');
    this._sharedSection = section(trans.__('Project services'), 'jp-Datalab-servicesProject', this._shared);
    this._cards = el('div', 'jp-Datalab-serviceCards');
    const mine = section(trans.__('My services'), 'jp-Datalab-servicesMine', this._mine);
    mine.append(this._mineEmpty);
    this._home = el('div', 'jp-Datalab-servicesHome');
    this._home.append(mine, this._sharedSection,
      section(trans.__('Launch a service'), 'jp-Datalab-servicesCatalog', this._cards));
    this._form = el('div', 'jp-Datalab-servicesLaunch');
    this._form.hidden = true;
    this.body.replaceChildren(this.status, this._home, this._form);

    this._intervals = intervals;
    this._poll = new Poll({
      name: 'jupyterhub-datalab:services',
      factory: () => this._tick(),
      frequency: { interval: intervals.refresh, backoff: true, max: intervals.max },
      // a collapsed section or a background tab needs no updates
      standby: () => !this.isVisible || 'when-hidden'
    });
    this.setStatus(trans.__('Loading…'));
  }

  /** New intervals (the person changed the settings): used from the next tick on. */
  setIntervals(intervals: IPollIntervals): void {
    this._intervals = intervals;
    this._poll.frequency = { interval: this._interval(), backoff: true, max: intervals.max };
  }

  /** Ask for the services now (and the catalog, if it could not be loaded yet). */
  async refresh(): Promise<void> {
    await this._poll.refresh();
    await this._poll.tick;
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
      this.setStatus(this.trans.__('Failed: %1', messageOf(error)), true);
    }
    await this.refresh();
  }

  async remove(service: IService): Promise<void> {
    const trans = this.trans;
    const result = await showDialog({
      title: trans.__('Delete'),
      body: trans.__('Delete the service %1 and its data? This cannot be undone.', service.name),
      buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.warnButton({ label: trans.__('Delete') })]
    });
    if (result.button.accept) {
      await this.act(() => this.client.remove(service));
    }
  }

  dispose(): void {
    this._poll.dispose();
    super.dispose();
  }

  /** Shown (the sidebar opened, the section expanded): catch up at once. */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this._poll.refresh();
  }

  /** Attached already visible (a restored layout): the first poll stood by; poll now. */
  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      void this._poll.refresh();
    }
  }

  /** One poll: the catalog until it loads, then the services; a failure backs off. */
  private async _tick(): Promise<void> {
    try {
      if (!this._catalog) {
        this._catalog = await this.client.catalog();
        this._renderCatalog();
      }
      this._render(await this.client.list());
      if (this._failed || this.status.textContent === this.trans.__('Loading…')) {
        this.setStatus('');
        this._failed = false;
      }
    } catch (error) {
      this.setStatus(this.trans.__('Failed: %1', messageOf(error)), true);
      this._failed = true;
      throw error;
    }
    this._poll.frequency = { interval: this._interval(), backoff: true, max: this._intervals.max };
  }

  /** Fast while a service starts, else the usual interval. */
  private _interval(): number {
    const starting = [...this._rows.values()].some(r => r.service.status === 'starting');
    return Math.min(starting ? this._intervals.starting : this._intervals.refresh, this._intervals.max);
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
      this._cards.replaceChildren(el('p', 'jp-Datalab-emptyState', this.trans.__('No service can be launched here.')));
      return;
    }
    this._cards.replaceChildren(...entries.map(entry => this._card(entry)));
  }

  private _card(entry: ICatalogEntry): HTMLElement {
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
      text.append(el('span', 'jp-Datalab-serviceCardUnavailable',
        `${this.trans.__('Unavailable')}: ${localized(entry.unavailable, this.language)}`));
    } else {
      card.onclick = () => this._showForm(entry);
    }
    card.append(entryIcon(entry.icon, entry.id), text);
    return card;
  }

  /** The launch form of an entry, in place of the lists. */
  private _showForm(entry: ICatalogEntry): void {
    const form = launchForm({
      trans: this.trans,
      language: this.language,
      client: this.client,
      entry,
      onBack: () => this._showHome(),
      onLaunched: name => {
        this._showHome();
        this._flash(this.trans.__('%1 launched.', name));
        void this.refresh();
      }
    });
    this._form.replaceChildren(...form.parts);
    this._home.hidden = true;
    this._form.hidden = false;
    this.setStatus('');
    form.focus();
  }

  private _showHome(): void {
    this._form.hidden = true;
    this._form.replaceChildren();
    this._home.hidden = false;
  }

  readonly client: ServicesClient;
  private readonly _poll: Poll;
  private _intervals: IPollIntervals;
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
  private _failed = false;
}
