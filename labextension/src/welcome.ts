/**
 * The Datalab welcome page: a main-area widget opened by itself on a user's first
 * login (remembered in their JupyterLab settings), and from the Launcher or the
 * command palette afterwards. It says what the datalab offers (buttons opening the
 * sidebar's panels), lists the trainings with a Start link (a launch link: the hub's
 * spawn page pre-filled, nothing starts before the user's click), and links to the docs.
 */
import { Widget } from '@lumino/widgets';

import type { ICatalogAnswer, ICatalogEnvironment } from './api';
import { el, messageOf } from './dom';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { II18n } from './i18n';
import type { PanelKind } from './panels/panel';

export const WELCOME_ID = 'datalab-welcome';

export interface IWelcomeOptions {
  i18n: II18n;
  /** The catalog's trainings and the docs' address (the server extension). */
  fetchTrainings: () => Promise<ICatalogAnswer>;
  /** Show one of the sidebar's panels. */
  openPanel: (panel: PanelKind) => void;
}

export class DatalabWelcome extends Widget {
  constructor(options: IWelcomeOptions) {
    super({ node: document.createElement('article') });
    this._options = options;
    const trans = options.i18n.trans;
    this._trans = trans;
    this.addClass('jp-Datalab-welcome');
    this.node.lang = options.i18n.language;
    this.node.tabIndex = -1;

    const head = el('header', 'jp-Datalab-welcome-head');
    head.append(el('h1', '', trans.__('Welcome to the datalab')), el('p', '', trans.__('This JupyterLab runs on the datalab: your files here are kept between sessions, and your storage, secrets and services are one click away in the Datalab sidebar on the left.')));

    const offers = this._section('offers', trans.__('What the datalab offers'));
    const cards = el('div', 'jp-Datalab-welcome-cards');
    for (const [panel, title, text] of [
      ['storage', trans.__('Storage'), trans.__('Your S3 space and your projects’ shared spaces: browse, upload, share a download link. In notebooks, pandas, s3fs and DuckDB read s3:// paths with no setup.')],
      ['secrets', trans.__('Secrets'), trans.__('Keep passwords and tokens in Vault instead of notebooks. Marked secrets reach new kernels as environment variables.')],
      ['services', trans.__('Services'), trans.__('Launch a PostgreSQL database, MLflow or an app for yourself or your project; new kernels get their connection variables.')]
    ] as [PanelKind, string, string][]) {
      const card = el('div', 'jp-Datalab-welcome-card');
      card.dataset.panel = panel;
      const button = el('button', 'jp-mod-styled jp-mod-accept', trans.__('Open %1', title));
      button.type = 'button';
      button.addEventListener('click', () => options.openPanel(panel));
      card.append(el('h3', '', title), el('p', '', text), button);
      cards.append(card);
    }
    offers.append(cards);

    const trainings = this._section('trainings', trans.__('Trainings'));
    trainings.append(el('p', '', trans.__('Learn the datalab on the datalab: each training starts its own server with the material in your workspace and its first notebook open.')));
    this._status.className = 'jp-Datalab-welcome-status';
    this._status.setAttribute('role', 'status');
    this._list.className = 'jp-Datalab-welcome-trainings';
    trainings.append(this._status, this._list);

    this._docs = this._section('docs', trans.__('Documentation'));

    const foot = el('p', 'jp-Datalab-welcome-foot', trans.__('Open this page again from the Launcher (Datalab welcome) or the command palette.'));
    this.node.append(head, offers, trainings, this._docs, foot);
    this._showDocs('');
  }

  /** (Re)load the trainings and the docs' address. */
  async refresh(): Promise<void> {
    const trans = this._trans;
    this._setStatus(trans.__('Loading the trainings…'));
    let answer: ICatalogAnswer;
    try {
      answer = await this._options.fetchTrainings();
    } catch (error) {
      console.warn('jupyterhub-datalab: could not list the trainings', error);
      this._list.replaceChildren();
      this._setStatus(trans.__('The trainings could not be listed: %1', messageOf(error)), true);
      return;
    }
    this._showDocs(answer.docs_url);
    this._list.replaceChildren(...answer.entries.map(e => this._training(e)));
    this._setStatus(answer.entries.length ? '' : trans.__('No training is offered on this datalab yet.'));
  }

  private _training(entry: ICatalogEnvironment): HTMLElement {
    const lang = this._options.i18n.language;
    const text = (t: Record<string, string>) => t?.[lang] || t?.en || '';
    const name = text(entry.name) || entry.id;
    const item = el('li', 'jp-Datalab-welcome-training');
    item.dataset.entry = entry.id;
    const body = el('div', 'jp-Datalab-welcome-trainingText');
    body.append(el('h3', '', name), el('p', '', text(entry.description)));
    const start = el('a', 'jp-Datalab-welcome-start', this._trans.__('Start'));
    start.href = entry.launch;
    start.target = '_blank';
    start.rel = 'noopener';
    start.title = this._trans.__('Open the start page of “%1” in a new tab: review the options, then press Start', name);
    item.append(body, start);
    return item;
  }

  private _showDocs(url: string): void {
    const trans = this._trans;
    const heading = this._docs.firstElementChild as HTMLElement;
    if (url) {
      const link = el('a', 'jp-Datalab-welcome-docsLink', trans.__('Read the documentation'));
      link.href = url;
      link.target = '_blank';
      link.rel = 'noopener';
      this._docs.replaceChildren(heading, el('p', '', trans.__('Guides for users (storage, secrets, services, sharing with a project), administrators and catalog contributors.')), link);
    } else {
      this._docs.replaceChildren(heading, el('p', 'jp-Datalab-emptyState', trans.__('The address of this datalab’s documentation is not configured; ask your administrator.')));
    }
  }

  private _section(kind: string, title: string): HTMLElement {
    const section = el('section', 'jp-Datalab-welcome-section');
    section.dataset.section = kind;
    section.append(el('h2', '', title));
    return section;
  }

  private _setStatus(text: string, error = false): void {
    this._status.textContent = text;
    this._status.hidden = !text;
    this._status.classList.toggle('jp-mod-error', error);
  }

  private readonly _options: IWelcomeOptions;
  private readonly _trans: TranslationBundle;
  private readonly _status = document.createElement('p');
  private readonly _list = document.createElement('ul');
  private readonly _docs: HTMLElement;
}
