/**
 * Secrets: the user's Vault KV secrets (personal, then projects). Values stay
 * hidden until asked for, live only in the DOM while shown, and never go to
 * local storage. Talks only to its own client, secrets-api.ts.
 */
import { Clipboard, Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import type { IMessages, ISecretsMessages } from '../i18n';
import {
  ISecretDescription,
  ISecretEntry,
  ISecretSpace,
  SecretsClient
} from '../secrets-api';
import { el, messageOf } from '../dom';
import { DatalabPanel } from './panel';


/** Code reading a secret: hvac (by its Vault path) and os.environ (when injected). */
export function secretSnippets(mount: string, path: string, keys: string[]): string {
  const first = keys[0] ?? 'KEY';
  return (
    'import hvac  # VAULT_ADDR and VAULT_TOKEN come from the environment\n' +
    'client = hvac.Client()\n' +
    `secret = client.secrets.kv.v2.read_secret_version(mount_point="${mount}", path="${path}")\n` +
    `value = secret["data"]["data"]["${first}"]\n\n` +
    '# once injected, in a new kernel:\n' +
    `import os\nvalue = os.environ["${first}"]`
  );
}

export class SecretsPanel extends DatalabPanel {
  constructor(messages: IMessages, client = new SecretsClient()) {
    super({ kind: 'secrets', title: messages.secretsTitle });
    this._m = messages.secrets;
    this._client = client;
    this.addClass('jp-Datalab-secrets');
    this._view = el('div', 'jp-Datalab-secrets-view');
    this.body.replaceChildren(this._view, this.status);
    void this.start();
  }

  async start(): Promise<void> {
    this.setStatus(this._m.loading);
    try {
      this._spaces = (await this._client.spaces()).spaces;
    } catch (error) {
      this.setStatus(this._m.failed(messageOf(error)), true);
      return;
    }
    if (!this._spaces.length) {
      this.setStatus(this._m.notConfigured);
      return;
    }
    this._space = this._spaces[0];
    await this.showFolder('');
  }

  async showFolder(folder: string): Promise<void> {
    this._folder = folder;
    this.setStatus(this._m.loading);
    const toolbar = el('div', 'jp-Datalab-storage-toolbar');
    const button = (label: string, action: string, run: () => void) => {
      const b = el('button', 'jp-Datalab-button', label);
      b.dataset.action = action;
      b.onclick = run;
      return b;
    };
    toolbar.append(
      button(this._m.newSecret, 'new-secret', () => void this._edit(null)),
      button(this._m.refresh, 'refresh', () => void this.showFolder(this._folder))
    );
    if (this._spaces.length > 1) {
      const select = el('select', 'jp-Datalab-storage-space');
      for (const space of this._spaces) {
        const option = el('option', undefined, space.project ?? space.id);
        option.value = space.id;
        option.selected = space.id === this._space?.id;
        select.append(option);
      }
      select.onchange = () => {
        this._space = this._spaces.find(s => s.id === select.value) ?? this._space;
        void this.showFolder('');
      };
      toolbar.append(select);
    }
    const crumbs = el('nav', 'jp-Datalab-breadcrumbs');
    const crumb = (label: string, target: string) => {
      const b = el('button', 'jp-Datalab-crumb', label);
      b.onclick = () => void this.showFolder(target);
      return b;
    };
    crumbs.append(crumb(this._space!.path, ''));
    let prefix = '';
    for (const part of folder.split('/').filter(Boolean)) {
      prefix += `${part}/`;
      crumbs.append(el('span', 'jp-Datalab-crumbSep', '/'), crumb(part, prefix));
    }
    const list = el('ul', 'jp-Datalab-storage-list');
    this._view.replaceChildren(toolbar, crumbs, list);
    try {
      const listing = await this._client.list(this._space!.id, folder);
      for (const f of listing.folders) {
        list.append(this._row(f, true));
      }
      for (const s of listing.secrets) {
        list.append(this._row(s, false));
      }
      this.setStatus(listing.folders.length + listing.secrets.length ? '' : this._m.empty);
    } catch (error) {
      this.setStatus(this._m.failed(messageOf(error)), true);
    }
  }

  private _row(entry: ISecretEntry, folder: boolean): HTMLElement {
    const li = el('li', 'jp-Datalab-storage-row jp-Datalab-secret-row');
    li.dataset.path = entry.path;
    li.dataset.kind = folder ? 'folder' : 'secret';
    const name = el('button', 'jp-Datalab-storage-name', folder ? `${entry.name}/` : entry.name);
    name.onclick = () => void (folder ? this.showFolder(entry.path) : this.showSecret(entry.path));
    li.append(name);
    if (entry.injected) {
      li.append(el('span', 'jp-Datalab-badge', this._m.injected));
    }
    return li;
  }

  async showSecret(path: string): Promise<void> {
    let info: ISecretDescription;
    try {
      info = await this._client.describe(this._space!.id, path);
    } catch (error) {
      this.setStatus(this._m.failed(messageOf(error)), true);
      return;
    }
    this.setStatus('');
    const detail = el('div', 'jp-Datalab-secret-detail');
    detail.dataset.path = path;
    const back = el('button', 'jp-Datalab-crumb', `← ${this._m.back}`);
    back.onclick = () => void this.showFolder(this._folder);
    const title = el('h3', 'jp-Datalab-secret-title', path);
    const table = el('table', 'jp-Datalab-secret-values');
    const cells: Record<string, HTMLTableCellElement> = {};
    for (const key of info.keys) {
      const tr = el('tr');
      const value = el('td', 'jp-Datalab-secret-value', '••••••••');
      cells[key] = value;
      tr.append(el('th', undefined, key), value);
      table.append(tr);
    }
    const actions = el('div', 'jp-Datalab-storage-toolbar');
    const button = (label: string, action: string, run: () => void) => {
      const b = el('button', 'jp-Datalab-button', label);
      b.dataset.action = action;
      b.onclick = run;
      actions.append(b);
      return b;
    };
    let shown = false;
    const reveal = button(this._m.reveal, 'reveal', async () => {
      if (shown) {
        Object.values(cells).forEach(c => (c.textContent = '••••••••'));
        reveal.textContent = this._m.reveal;
        shown = false;
        return;
      }
      try {
        const values = await this._client.values(this._space!.id, path);
        for (const [k, v] of Object.entries(values)) {
          if (cells[k]) {
            cells[k].textContent = v;
          }
        }
        reveal.textContent = this._m.hide;
        shown = true;
      } catch (error) {
        this.setStatus(this._m.failed(messageOf(error)), true);
      }
    });
    button(this._m.edit, 'edit', () => void this._edit(path));
    button(this._m.code, 'code', () =>
      void this._code(path, info.keys)
    );
    button(this._m.rename, 'rename', () => void this._rename(path));
    button(this._m.delete, 'delete', () => void this._delete(path));

    const inject = el('label', 'jp-Datalab-secret-inject');
    const box = el('input');
    box.type = 'checkbox';
    box.checked = info.injected;
    box.dataset.action = 'inject';
    box.onchange = () =>
      void this._run(() => this._client.inject(this._space!.id, path, box.checked), path);
    inject.append(box, ` ${this._m.inject}`);
    inject.title = this._m.injectHelp;

    const versions = el('ul', 'jp-Datalab-secret-versions');
    for (const v of info.versions) {
      const li = el('li', undefined, `v${v.version} · ${new Date(v.created_time).toLocaleString()}`);
      li.dataset.version = String(v.version);
      if (v.version === info.version) {
        li.append(el('span', 'jp-Datalab-badge', this._m.current));
      } else if (!v.deleted) {
        const restore = el('button', 'jp-Datalab-button', this._m.restore);
        restore.dataset.action = 'restore';
        restore.onclick = () =>
          void this._run(() => this._client.restore(this._space!.id, path, v.version), path);
        li.append(restore);
      }
      versions.append(li);
    }
    detail.append(back, title, table, actions, inject, el('h4', undefined, this._m.versions), versions);
    this._view.replaceChildren(detail);
  }

  /** The key/value editor: a new secret when `path` is null. */
  private async _edit(path: string | null): Promise<void> {
    let current: Record<string, string> = { '': '' };
    if (path) {
      try {
        current = await this._client.values(this._space!.id, path);
      } catch (error) {
        this.setStatus(this._m.failed(messageOf(error)), true);
        return;
      }
    }
    const body = el('div', 'jp-Datalab-secret-editor');
    const name = el('input', 'jp-Datalab-secret-name');
    name.placeholder = this._m.name;
    name.value = path ?? (this._folder || '');
    name.disabled = path !== null;
    const rows = el('div', 'jp-Datalab-secret-rows');
    const addRow = (key = '', value = '') => {
      const row = el('div', 'jp-Datalab-secret-row-edit');
      const k = el('input', 'jp-Datalab-secret-key');
      k.placeholder = this._m.key;
      k.value = key;
      const v = el('input', 'jp-Datalab-secret-val');
      v.placeholder = this._m.value;
      v.type = 'password';
      v.autocomplete = 'off';
      v.value = value;
      row.append(k, v);
      rows.append(row);
    };
    Object.entries(current).forEach(([k, v]) => addRow(k, v));
    const add = el('button', 'jp-Datalab-button', this._m.addKey);
    add.dataset.action = 'add-key';
    add.onclick = () => addRow();
    body.append(name, rows, add);
    const result = await showDialog({
      title: path ? `${this._m.edit}: ${path}` : this._m.newSecret,
      body: new Widget({ node: body }),
      buttons: [Dialog.cancelButton({ label: this._m.cancel }), Dialog.okButton({ label: this._m.save })]
    });
    if (!result.button.accept) {
      return;
    }
    const data: Record<string, string> = {};
    rows.querySelectorAll('.jp-Datalab-secret-row-edit').forEach(row => {
      const key = (row.querySelector('.jp-Datalab-secret-key') as HTMLInputElement).value.trim();
      const value = (row.querySelector('.jp-Datalab-secret-val') as HTMLInputElement).value;
      if (key) {
        data[key] = value;
      }
    });
    const target = path ?? name.value.trim();
    await this._run(() => this._client.write(this._space!.id, target, data), target);
  }

  private async _rename(path: string): Promise<void> {
    const answer = await InputDialog.getText({ title: this._m.renamePrompt, text: path });
    if (answer.button.accept && answer.value && answer.value !== path) {
      await this._run(() => this._client.rename(this._space!.id, path, answer.value!), answer.value);
    }
  }

  private async _delete(path: string): Promise<void> {
    const result = await showDialog({
      title: this._m.delete,
      body: this._m.deleteConfirm(path),
      buttons: [Dialog.cancelButton({ label: this._m.cancel }), Dialog.warnButton({ label: this._m.delete })]
    });
    if (result.button.accept) {
      await this._run(() => this._client.remove(this._space!.id, path), null);
    }
  }

  private async _code(path: string, keys: string[]): Promise<void> {
    const code = secretSnippets('secret', `${this._space!.path}/${path}`, keys);
    const pre = el('pre', 'jp-Datalab-snippet', code);
    const result = await showDialog({
      title: this._m.codeTitle(path),
      body: new Widget({ node: pre }),
      buttons: [Dialog.cancelButton({ label: this._m.close }), Dialog.okButton({ label: this._m.code })]
    });
    if (result.button.accept) {
      Clipboard.copyToSystem(code);
    }
  }

  /** Run an action, then show the secret (or the folder when `then` is null). */
  private async _run(action: () => Promise<unknown>, then: string | null): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.setStatus(this._m.failed(messageOf(error)), true);
      return;
    }
    if (then) {
      await this.showSecret(then);
    } else {
      await this.showFolder(this._folder);
    }
  }


  private readonly _m: ISecretsMessages;
  private readonly _client: SecretsClient;
  private readonly _view: HTMLDivElement;
  private _spaces: ISecretSpace[] = [];
  private _space: ISecretSpace | null = null;
  private _folder = '';
}
