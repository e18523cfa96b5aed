/**
 * The frame every sidebar section shares: a header and a body.
 *
 * Each capability (storage, secrets, services) is one subclass in its own
 * module, with its own API client; sections never reach into each other.
 */
import { Widget } from '@lumino/widgets';

export type PanelKind = 'storage' | 'secrets' | 'services';

export interface IPanelOptions {
  kind: PanelKind;
  title: string;
}

export class DatalabPanel extends Widget {
  constructor(options: IPanelOptions) {
    super({ node: document.createElement('section') });
    this.addClass('jp-Datalab-panel');
    this.node.dataset.panel = options.kind;

    const header = document.createElement('h2');
    header.className = 'jp-Datalab-panelHeader';
    header.textContent = options.title;
    this.node.setAttribute('aria-label', options.title);

    this.body = document.createElement('div');
    this.body.className = 'jp-Datalab-panelBody';
    this.node.append(header, this.body);
  }

  /**
   * The panel's status line (loading, empty, an error in words); '' hides it.
   * Subclasses place `this.status` where it reads best in their body.
   */
  protected setStatus(text: string, error = false): void {
    this.status.textContent = text;
    this.status.hidden = !text;
    this.status.classList.toggle('jp-mod-error', error);
  }

  protected readonly status: HTMLParagraphElement = (() => {
    const p = document.createElement('p');
    p.className = 'jp-Datalab-storage-status';
    p.setAttribute('role', 'status');
    return p;
  })();

  /** Replace the body with a one-line message (nothing to show yet). */
  protected showEmpty(message: string): void {
    const p = document.createElement('p');
    p.className = 'jp-Datalab-emptyState';
    p.textContent = message;
    this.body.replaceChildren(p);
  }

  protected readonly body: HTMLDivElement;
}
