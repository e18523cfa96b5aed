/**
 * The frame every sidebar section shares: a `PanelWithToolbar` (its title and
 * toolbar buttons live in the sidebar's accordion header, as in JupyterLab's
 * Running panel), a status line and a body.
 *
 * Each capability (storage, secrets, services) is one subclass in its own
 * module, with its own API client; sections never reach into each other.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { LabIcon, PanelWithToolbar, ToolbarButton } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import type { II18n, Language } from '../i18n';

export type PanelKind = 'storage' | 'secrets' | 'services';

export interface IPanelOptions {
  kind: PanelKind;
  title: string;
  i18n: II18n;
}

export class DatalabPanel extends PanelWithToolbar {
  constructor(options: IPanelOptions) {
    super();
    this.trans = options.i18n.trans;
    this.language = options.i18n.language;
    this.addClass('jp-Datalab-panel');
    this.node.dataset.panel = options.kind;
    this.id = `jp-Datalab-panel-${options.kind}`;
    this.title.label = options.title;
    this.node.setAttribute('aria-label', options.title);

    const body = new Widget();
    body.addClass('jp-Datalab-panelBody');
    this.body = body.node as HTMLDivElement;
    this.addWidget(body);
  }

  /** A toolbar action: an icon with its tooltip, `data-action` for tests and styles. */
  protected addAction(action: string, icon: LabIcon, tooltip: string, onClick: () => void): ToolbarButton {
    const button = new ToolbarButton({ icon, tooltip, onClick, dataset: { action } });
    this.toolbar.addItem(action, button);
    return button;
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

  readonly trans: TranslationBundle;
  /** Which text of a catalog's `{en, fr}` pair to show. */
  readonly language: Language;
  protected readonly body: HTMLDivElement;
}
