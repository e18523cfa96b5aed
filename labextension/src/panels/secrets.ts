/**
 * Secrets: the user's Vault KV secrets (personal, then projects). Values stay
 * hidden until asked for, live only in the DOM while shown, and never go to
 * local storage. Talks only to its own client, secrets-api.ts.
 */
import { Clipboard, Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import { addIcon, refreshIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import type { II18n } from '../i18n';
import {
  ISecretDescription,
  ISecretEntry,
  ISecretSpace,
  SecretsClient
} from '../secrets-api';
import { el, messageOf } from '../dom';
import { crumbs } from '../paths';
import { secretSnippets } from '../snippets';
import { DatalabPanel } from './panel';
import { SecretEditor } from './secret-editor';

export class SecretsPanel extends DatalabPanel {
  constructor(i18n: II18n, client = new SecretsClient()) {
    super({ kind: 'secrets', title: i18n.trans.__('Secrets'), i18n });
    this._client = client;
    this.addClass('jp-Datalab-secrets');
    this.addAction('new-secret', addIcon, this.trans.__('New secret'), () => void this._edit(null));
    this.addAction('refresh', refreshIcon, this.trans.__('Refresh'), () => void this.showFolder(this._folder));
    this.toolbar.hide();
    this._view = el('div', 'jp-Datalab-secrets-view');
    this.body.replaceChildren(this._view, this.status);
    void this.start();
  }

  async start(): Promise<void> {
    this.setStatus(this.trans.__('Loading…'));
    try {
      this._spaces = (await this._client.spaces()).spaces;
    } catch (error) {
      this.setStatus(this.trans.__('Failed: %1', messageOf(error)), true);
      return;
    }
    if (!this._spaces.length) {
      this.setStatus(this.trans.__('No Vault is configured for this server.'));
      return;
    }
    this.toolbar.show();
    this._space = this._spaces[0];
    await this.showFolder('');
  }

  async showFolder(folder: string): Promise<void> {
    this._folder = folder;
    this.setStatus(this.trans.__('Loading…'));
    const nav = el('nav', 'jp-Datalab-breadcrumbs');
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
      nav.append(select);
    }
    const crumb = (label: string, target: string) => {
      const b = el('button', 'jp-Datalab-crumb', label);
      b.onclick = () => void this.showFolder(target);
      return b;
    };
    nav.append(crumb(this._space!.path, ''));
    for (const part of crumbs(folder)) {
      nav.append(el('span', 'jp-Datalab-crumbSep', '/'), crumb(part.name, part.prefix));
    }
    const list = el('ul', 'jp-Datalab-storage-list');
    this._view.replaceChildren(nav, list);
    try {
      const listing = await this._client.list(this._space!.id, folder);
      for (const f of listing.folders) {
        list.append(this._row(f, true));
      }
      for (const s of listing.secrets) {
        list.append(this._row(s, false));
      }
      this.setStatus(listing.folders.length + listing.secrets.length ? '' : this.trans.__('No secrets here yet.'));
    } catch (error) {
      this.setStatus(this.trans.__('Failed: %1', messageOf(error)), true);
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
      li.append(el('span', 'jp-Datalab-badge', this.trans.__('injected')));
    }
    return li;
  }

  async showSecret(path: string): Promise<void> {
    let info: ISecretDescription;
    try {
      info = await this._client.describe(this._space!.id, path);
    } catch (error) {
      this.setStatus(this.trans.__('Failed: %1', messageOf(error)), true);
      return;
    }
    this.setStatus('');
    const detail = el('div', 'jp-Datalab-secret-detail');
    detail.dataset.path = path;
    const back = el('button', 'jp-Datalab-crumb', `← ${this.trans.__('Back')}`);
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
    const reveal = button(this.trans.__('Show values'), 'reveal', async () => {
      if (shown) {
        Object.values(cells).forEach(c => (c.textContent = '••••••••'));
        reveal.textContent = this.trans.__('Show values');
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
        reveal.textContent = this.trans.__('Hide values');
        shown = true;
      } catch (error) {
        this.setStatus(this.trans.__('Failed: %1', messageOf(error)), true);
      }
    });
    button(this.trans.__('Edit'), 'edit', () => void this._edit(path));
    button(this.trans.__('Copy as code'), 'code', () =>
      void this._code(path, info.keys)
    );
    button(this.trans.__('Rename'), 'rename', () => void this._rename(path));
    button(this.trans.__('Delete'), 'delete', () => void this._delete(path));

    const inject = el('label', 'jp-Datalab-secret-inject');
    const box = el('input');
    box.type = 'checkbox';
    box.checked = info.injected;
    box.dataset.action = 'inject';
    box.onchange = () =>
      void this._run(() => this._client.inject(this._space!.id, path, box.checked), path);
    inject.append(box, ` ${this.trans.__('Inject into my servers and kernels')}`);
    inject.title = this.trans.__('Its keys become environment variables of your new kernels and of your next server: yours only, each project member chooses for themselves. Names that change how programs run (proxies, paths, package indexes, certificates) are never injected.');

    const versions = el('ul', 'jp-Datalab-secret-versions');
    for (const v of info.versions) {
      const li = el('li', undefined, `v${v.version} · ${new Date(v.created_time).toLocaleString()}`);
      li.dataset.version = String(v.version);
      if (v.version === info.version) {
        li.append(el('span', 'jp-Datalab-badge', this.trans.__('current')));
      } else if (!v.deleted) {
        const restore = el('button', 'jp-Datalab-button', this.trans.__('Restore'));
        restore.dataset.action = 'restore';
        restore.onclick = () =>
          void this._run(() => this._client.restore(this._space!.id, path, v.version), path);
        li.append(restore);
      }
      versions.append(li);
    }
    detail.append(back, title, table, actions, inject, el('h4', undefined, this.trans.__('Versions')), versions);
    this._view.replaceChildren(detail);
  }

  /** The key/value editor: a new secret when `path` is null. */
  private async _edit(path: string | null): Promise<void> {
    let current: Record<string, string> = {};
    if (path) {
      try {
        current = await this._client.values(this._space!.id, path);
      } catch (error) {
        this.setStatus(this.trans.__('Failed: %1', messageOf(error)), true);
        return;
      }
    }
    const result = await showDialog({
      title: path ? `${this.trans.__('Edit')}: ${path}` : this.trans.__('New secret'),
      body: new SecretEditor(this.trans, path, current, this._folder),
      buttons: [Dialog.cancelButton({ label: this.trans.__('Cancel') }), Dialog.okButton({ label: this.trans.__('Save') })]
    });
    if (!result.button.accept || !result.value) {
      return;
    }
    const target = path ?? result.value.path;
    const data = result.value.data;
    await this._run(() => this._client.write(this._space!.id, target, data), target);
  }

  private async _rename(path: string): Promise<void> {
    const answer = await InputDialog.getText({ title: this.trans.__('New name'), text: path });
    if (answer.button.accept && answer.value && answer.value !== path) {
      await this._run(() => this._client.rename(this._space!.id, path, answer.value!), answer.value);
    }
  }

  private async _delete(path: string): Promise<void> {
    const result = await showDialog({
      title: this.trans.__('Delete'),
      body: this.trans.__('Delete the secret %1 and all its versions?', path),
      buttons: [Dialog.cancelButton({ label: this.trans.__('Cancel') }), Dialog.warnButton({ label: this.trans.__('Delete') })]
    });
    if (result.button.accept) {
      await this._run(() => this._client.remove(this._space!.id, path), null);
    }
  }

  private async _code(path: string, keys: string[]): Promise<void> {
    const code = secretSnippets('secret', `${this._space!.path}/${path}`, keys);
    const pre = el('pre', 'jp-Datalab-snippet', code);
    const result = await showDialog({
      title: this.trans.__('Use %1 in code', path),
      body: new Widget({ node: pre }),
      buttons: [Dialog.cancelButton({ label: this.trans.__('Close') }), Dialog.okButton({ label: this.trans.__('Copy as code') })]
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
      this.setStatus(this.trans.__('Failed: %1', messageOf(error)), true);
      return;
    }
    if (then) {
      await this.showSecret(then);
    } else {
      await this.showFolder(this._folder);
    }
  }

  private readonly _client: SecretsClient;
  private readonly _view: HTMLDivElement;
  private _spaces: ISecretSpace[] = [];
  private _space: ISecretSpace | null = null;
  private _folder = '';
}
