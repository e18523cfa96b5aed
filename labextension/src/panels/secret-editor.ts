/**
 * The Secrets panel's key/value editor, a dialog body that returns what was typed
 * (`getValue()`), so nothing reads the dialog's DOM back after it closes.
 */
import { Dialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { el } from '../dom';

export interface ISecretDraft {
  /** The secret's path (folders with `/`). */
  path: string;
  /** Its keys and values; rows without a key are left out. */
  data: Record<string, string>;
}

export class SecretEditor extends Widget implements Dialog.IBodyWidget<ISecretDraft> {
  /** `path` null: a new secret, named in the dialog (`folder` is offered as its start). */
  constructor(
    private readonly _trans: TranslationBundle,
    path: string | null,
    values: Record<string, string>,
    folder = ''
  ) {
    super();
    this.addClass('jp-Datalab-secret-editor');
    this._name = el('input', 'jp-Datalab-secret-name');
    this._name.placeholder = _trans.__('Name (folders with /)');
    this._name.value = path ?? folder;
    this._name.disabled = path !== null;
    this._rows = el('div', 'jp-Datalab-secret-rows');
    const entries = Object.entries(values);
    (entries.length ? entries : [['', '']]).forEach(([k, v]) => this.addRow(k, v));
    const add = el('button', 'jp-Datalab-button', _trans.__('Add a key'));
    add.type = 'button';
    add.dataset.action = 'add-key';
    add.onclick = () => this.addRow();
    this.node.append(this._name, this._rows, add);
  }

  addRow(key = '', value = ''): void {
    const row = el('div', 'jp-Datalab-secret-row-edit');
    const k = el('input', 'jp-Datalab-secret-key');
    k.placeholder = this._trans.__('Key');
    k.value = key;
    const v = el('input', 'jp-Datalab-secret-val');
    v.placeholder = this._trans.__('Value');
    v.type = 'password';
    v.autocomplete = 'off';
    v.value = value;
    row.append(k, v);
    this._rows.append(row);
    this._inputs.push([k, v]);
  }

  getValue(): ISecretDraft {
    const data: Record<string, string> = {};
    for (const [k, v] of this._inputs) {
      const key = k.value.trim();
      if (key) {
        data[key] = v.value;
      }
    }
    return { path: this._name.value.trim(), data };
  }

  private readonly _name: HTMLInputElement;
  private readonly _rows: HTMLDivElement;
  private readonly _inputs: [HTMLInputElement, HTMLInputElement][] = [];
}
