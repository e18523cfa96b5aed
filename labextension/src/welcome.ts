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
import type { IMessages } from './i18n';
import type { PanelKind } from './panels/panel';

export const WELCOME_ID = 'datalab-welcome';

export interface IWelcomeOptions {
  messages: IMessages;
  /** The catalog's trainings and the docs' address (the server extension). */
  fetchTrainings: () => Promise<ICatalogAnswer>;
  /** Show one of the sidebar's panels. */
  openPanel: (panel: PanelKind) => void;
}

export class DatalabWelcome extends Widget {
  constructor(options: IWelcomeOptions) {
    super({ node: document.createElement('article') });
    this._options = options;
    const m = options.messages.welcome;
    this.addClass('jp-Datalab-welcome');
    this.node.lang = options.messages.language;
    this.node.tabIndex = -1;

    const head = el('header', 'jp-Datalab-welcome-head');
    head.append(el('h1', '', m.heading), el('p', '', m.intro));

    const offers = this._section('offers', m.offersTitle);
    const cards = el('div', 'jp-Datalab-welcome-cards');
    const all = options.messages;
    for (const [panel, title, text] of [
      ['storage', all.storageTitle, m.storageText],
      ['secrets', all.secretsTitle, m.secretsText],
      ['services', all.servicesTitle, m.servicesText]
    ] as [PanelKind, string, string][]) {
      const card = el('div', 'jp-Datalab-welcome-card');
      card.dataset.panel = panel;
      const button = el('button', 'jp-mod-styled jp-mod-accept', m.openPanel(title));
      button.type = 'button';
      button.addEventListener('click', () => options.openPanel(panel));
      card.append(el('h3', '', title), el('p', '', text), button);
      cards.append(card);
    }
    offers.append(cards);

    const trainings = this._section('trainings', m.trainingsTitle);
    trainings.append(el('p', '', m.trainingsIntro));
    this._status.className = 'jp-Datalab-welcome-status';
    this._status.setAttribute('role', 'status');
    this._list.className = 'jp-Datalab-welcome-trainings';
    trainings.append(this._status, this._list);

    this._docs = this._section('docs', m.docsTitle);

    const foot = el('p', 'jp-Datalab-welcome-foot', m.reopen);
    this.node.append(head, offers, trainings, this._docs, foot);
    this._showDocs('');
  }

  /** (Re)load the trainings and the docs' address. */
  async refresh(): Promise<void> {
    const m = this._options.messages.welcome;
    this._setStatus(m.trainingsLoading);
    let answer: ICatalogAnswer;
    try {
      answer = await this._options.fetchTrainings();
    } catch (error) {
      console.warn('jupyterhub-datalab: could not list the trainings', error);
      this._list.replaceChildren();
      this._setStatus(m.trainingsFailed(messageOf(error)), true);
      return;
    }
    this._showDocs(answer.docs_url);
    this._list.replaceChildren(...answer.entries.map(e => this._training(e)));
    this._setStatus(answer.entries.length ? '' : m.trainingsEmpty);
  }

  private _training(entry: ICatalogEnvironment): HTMLElement {
    const lang = this._options.messages.language;
    const text = (t: Record<string, string>) => t?.[lang] || t?.en || '';
    const name = text(entry.name) || entry.id;
    const item = el('li', 'jp-Datalab-welcome-training');
    item.dataset.entry = entry.id;
    const body = el('div', 'jp-Datalab-welcome-trainingText');
    body.append(el('h3', '', name), el('p', '', text(entry.description)));
    const start = el('a', 'jp-Datalab-welcome-start', this._options.messages.welcome.start);
    start.href = entry.launch;
    start.target = '_blank';
    start.rel = 'noopener';
    start.title = this._options.messages.welcome.startTitle(name);
    item.append(body, start);
    return item;
  }

  private _showDocs(url: string): void {
    const m = this._options.messages.welcome;
    const heading = this._docs.firstElementChild as HTMLElement;
    if (url) {
      const link = el('a', 'jp-Datalab-welcome-docsLink', m.docsLink);
      link.href = url;
      link.target = '_blank';
      link.rel = 'noopener';
      this._docs.replaceChildren(heading, el('p', '', m.docsText), link);
    } else {
      this._docs.replaceChildren(heading, el('p', 'jp-Datalab-emptyState', m.docsMissing));
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
  private readonly _status = document.createElement('p');
  private readonly _list = document.createElement('ul');
  private readonly _docs: HTMLElement;
}
