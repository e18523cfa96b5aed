/**
 * Storage: browse, upload, download, share and delete files in the user's S3
 * spaces (personal, then projects). Talks only to its own client, storage-api.ts.
 */
import { Clipboard, Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import {
  closeIcon,
  codeIcon,
  copyIcon,
  deleteIcon,
  downloadIcon,
  editIcon,
  fileIcon,
  folderIcon,
  LabIcon,
  linkIcon,
  tableRowsIcon
} from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import type { IMessages, IStorageMessages } from '../i18n';
import {
  IFileEntry,
  IFolderEntry,
  ISpace,
  StorageClient,
} from '../storage-api';
import { ServiceError } from '../api';
import { el, messageOf } from '../dom';
import { DatalabPanel } from './panel';
import { snippets } from '../snippets';

type SortKey = 'name' | 'size' | 'date';

/** A file's date: the time if it is today, else the short date (full in the tooltip). */
export function shortDate(iso: string, now = new Date()): string {
  const date = new Date(iso);
  if (isNaN(date.getTime())) {
    return '';
  }
  const today = date.toDateString() === now.toDateString();
  return today
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString(undefined, { dateStyle: 'short' });
}

export function humanSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export class StoragePanel extends DatalabPanel {
  constructor(messages: IMessages, client = new StorageClient()) {
    super({ kind: 'storage', title: messages.storageTitle });
    this._m = messages.storage;
    this._client = client;
    this.addClass('jp-Datalab-storage');

    this._toolbar = el('div', 'jp-Datalab-storage-toolbar');
    this._crumbs = el('nav', 'jp-Datalab-breadcrumbs');
    this._table = el('div', 'jp-Datalab-storage-table');
    this._table.setAttribute('role', 'table');
    this._head = el('div', 'jp-Datalab-storage-head');
    this._head.setAttribute('role', 'row');
    this._list = el('div', 'jp-Datalab-storage-list');
    this._list.setAttribute('role', 'rowgroup');
    this._table.append(this._head, this._list);
    this._more = el('button', 'jp-Datalab-button jp-Datalab-loadMore', this._m.loadMore);
    this._more.onclick = () => void this._load(true);
    this._uploads = el('ul', 'jp-Datalab-uploads');
    this._input = el('input', 'jp-Datalab-upload-input');
    this._input.type = 'file';
    this._input.multiple = true;
    this._input.hidden = true;
    this._input.setAttribute('aria-label', this._m.upload);
    this._input.onchange = () => {
      void this._uploadFiles(Array.from(this._input.files ?? []));
      this._input.value = '';
    };
    this._buildToolbar();
    this.body.replaceChildren(
      this._toolbar,
      this._crumbs,
      this.status,
      this._table,
      this._more,
      this._uploads,
      this._input
    );
    this._bindDrop();
    void this.start();
  }

  /** Load the spaces, then the first one's root. */
  async start(): Promise<void> {
    this.setStatus(this._m.loading);
    try {
      const answer = await this._client.spaces();
      this._spaces = answer.configured ? answer.spaces : [];
    } catch (error) {
      this.setStatus(this._m.failed(messageOf(error)), true);
      return;
    }
    if (!this._spaces.length) {
      this._table.hidden = true;
      this.setStatus(this._m.notConfigured);
      this._toolbar.hidden = true;
      return;
    }
    this._space = this._spaces[0];
    await this.open('');
  }

  async open(prefix: string, space?: ISpace): Promise<void> {
    if (space) {
      this._space = space;
    }
    this._prefix = prefix;
    await this._load(false);
  }

  private _buildToolbar(): void {
    const button = (label: string, action: string, onClick: () => void) => {
      const b = el('button', 'jp-Datalab-button', label);
      b.dataset.action = action;
      b.title = label;
      b.onclick = onClick;
      return b;
    };
    this._toolbar.append(
      button(this._m.upload, 'upload', () => this._input.click()),
      button(this._m.newFolder, 'new-folder', () => void this._newFolder()),
      button(this._m.refresh, 'refresh', () => void this._load(false))
    );
  }

  private _bindDrop(): void {
    const node = this.node;
    node.addEventListener('dragover', event => {
      if (event.dataTransfer?.types.includes('Files')) {
        event.preventDefault();
        node.classList.add('jp-mod-dropTarget');
      }
    });
    node.addEventListener('dragleave', () => node.classList.remove('jp-mod-dropTarget'));
    node.addEventListener('drop', event => {
      node.classList.remove('jp-mod-dropTarget');
      const items = Array.from(event.dataTransfer?.items ?? []);
      const entries = items
        .map(item => item.webkitGetAsEntry?.())
        .filter((e): e is FileSystemEntry => !!e);
      const files = Array.from(event.dataTransfer?.files ?? []);
      if (entries.length) {
        event.preventDefault();
        event.stopPropagation();
        // folders keep their structure: each file goes to <folder>/<its path>
        void Promise.all(entries.map(e => collectFiles(e, ''))).then(lists =>
          this._uploadFiles(lists.flat())
        );
      } else if (files.length) {
        // no file-system entries (a drop made by a script): plain files
        event.preventDefault();
        event.stopPropagation();
        void this._uploadFiles(files);
      }
    });
  }

  private async _load(more: boolean): Promise<void> {
    if (!this._space) {
      return;
    }
    if (!more) {
      this._folders = [];
      this._files = [];
      this._token = null;
      this.setStatus(this._m.loading);
    }
    try {
      const page = await this._client.list(this._space.id, this._prefix, more ? this._token : null);
      this._folders.push(...page.folders);
      this._files.push(...page.files);
      this._token = page.next_token;
      this.setStatus('');
    } catch (error) {
      this.setStatus(this._m.failed(messageOf(error)), true);
    }
    this._render();
  }

  private _render(): void {
    this._renderCrumbs();
    this._renderHead();
    const sign = this._ascending ? 1 : -1;
    const byName = (a: IFolderEntry, b: IFolderEntry) =>
      a.name.localeCompare(b.name, undefined, { numeric: true });
    // folders have no size or date: they stay first, by name
    const folders = [...this._folders].sort(
      (a, b) => (this._sort === 'name' ? sign : 1) * byName(a, b)
    );
    const files = [...this._files].sort((a, b) => {
      if (this._sort === 'size') {
        return sign * (a.size - b.size) || byName(a, b);
      }
      if (this._sort === 'date') {
        return sign * a.modified.localeCompare(b.modified) || byName(a, b);
      }
      return sign * byName(a, b);
    });
    const rows: HTMLElement[] = [];
    for (const folder of folders) {
      rows.push(this._row(folder, true));
    }
    for (const file of files) {
      rows.push(this._row(file, false));
    }
    if (!rows.length && !this.status.textContent) {
      this.setStatus(this._m.emptyFolder);
    }
    this._list.replaceChildren(...rows);
    this._head.hidden = !rows.length;
    this._more.hidden = !this._token;
  }

  /** Column headers; a click sorts by that column, a second click reverses. */
  private _renderHead(): void {
    const columns: [SortKey, string][] = [
      ['name', this._m.columnName],
      ['size', this._m.columnSize],
      ['date', this._m.columnModified]
    ];
    this._head.replaceChildren(
      ...columns.map(([key, label]) => {
        const cell = el('div', `jp-Datalab-storage-col jp-Datalab-storage-col-${key}`);
        cell.setAttribute('role', 'columnheader');
        const current = this._sort === key;
        cell.setAttribute(
          'aria-sort',
          current ? (this._ascending ? 'ascending' : 'descending') : 'none'
        );
        const b = el('button', 'jp-Datalab-storage-sortButton', label);
        b.dataset.sort = key;
        b.title = this._m.sortBy(label);
        if (current) {
          b.append(el('span', 'jp-Datalab-storage-sortArrow', this._ascending ? ' ▲' : ' ▼'));
        }
        b.onclick = () => {
          // names read A to Z first; sizes and dates largest and newest first
          this._ascending = current ? !this._ascending : key === 'name';
          this._sort = key;
          this._render();
        };
        cell.append(b);
        return cell;
      })
    );
  }

  private _renderCrumbs(): void {
    const parts: HTMLElement[] = [];
    const crumb = (label: string, prefix: string, space?: ISpace) => {
      const a = el('button', 'jp-Datalab-crumb', label);
      a.dataset.prefix = prefix;
      a.onclick = () => void this.open(prefix, space);
      return a;
    };
    if (this._spaces.length > 1) {
      const select = el('select', 'jp-Datalab-storage-space');
      select.title = this._m.space;
      for (const space of this._spaces) {
        const option = el('option', undefined, space.project ?? space.id);
        option.value = space.id;
        option.selected = space.id === this._space?.id;
        select.append(option);
      }
      select.onchange = () =>
        void this.open('', this._spaces.find(s => s.id === select.value));
      parts.push(select);
    }
    const root = crumb(this._space?.bucket ?? '', '');
    root.title = this._space?.url ?? '';
    parts.push(root);
    let prefix = '';
    for (const name of this._prefix.split('/').filter(Boolean)) {
      prefix += `${name}/`;
      parts.push(el('span', 'jp-Datalab-crumbSep', '›'), crumb(name, prefix));
    }
    this._crumbs.setAttribute('aria-label', this._m.location);
    this._crumbs.replaceChildren(...parts);
  }

  private _row(entry: IFolderEntry | IFileEntry, folder: boolean): HTMLElement {
    const li = el('div', 'jp-Datalab-storage-row');
    li.setAttribute('role', 'row');
    li.dataset.key = entry.key;
    li.dataset.kind = folder ? 'folder' : 'file';
    const name = el('button', 'jp-Datalab-storage-name');
    name.setAttribute('role', 'cell');
    name.append(
      (folder ? folderIcon : fileIcon).element({ tag: 'span', className: 'jp-Datalab-icon' }),
      el('span', 'jp-Datalab-storage-label', entry.name)
    );
    name.title = folder ? entry.name : `${entry.name} (${this._m.download})`;
    if (folder) {
      name.onclick = () => void this.open(entry.key);
    } else {
      name.onclick = () => this._downloadLink(entry.key).click();
    }
    const size = el('span', 'jp-Datalab-storage-size');
    const date = el('span', 'jp-Datalab-storage-date');
    size.setAttribute('role', 'cell');
    date.setAttribute('role', 'cell');
    if (!folder) {
      const file = entry as IFileEntry;
      size.textContent = humanSize(file.size);
      size.title = `${file.size} B`;
      date.textContent = shortDate(file.modified);
      date.title = new Date(file.modified).toLocaleString();
    }
    li.append(name, size, date);
    // the actions cover size and date while the row is hovered or focused
    const actions = el('span', 'jp-Datalab-storage-actions');
    const action = (id: string, label: string, icon: LabIcon, run: () => void) => {
      const b = el('button', 'jp-Datalab-iconButton');
      b.append(icon.element({ tag: 'span', className: 'jp-Datalab-icon' }));
      b.dataset.action = id;
      b.title = label;
      b.setAttribute('aria-label', label);
      b.onclick = event => {
        event.stopPropagation();
        run();
      };
      actions.append(b);
    };
    if (!folder) {
      const file = entry as IFileEntry;
      const link = this._downloadLink(entry.key);
      link.className = 'jp-Datalab-iconButton';
      link.dataset.action = 'download';
      link.append(downloadIcon.element({ tag: 'span', className: 'jp-Datalab-icon' }));
      link.title = this._m.download;
      link.setAttribute('aria-label', this._m.download);
      actions.append(link);
      if (/\.(csv|parquet)$/i.test(entry.name)) {
        action('preview', this._m.preview, tableRowsIcon, () => void this._preview(file));
      }
      action('snippets', this._m.snippets, codeIcon, () => void this._snippets(file));
      action('share', this._m.share, linkIcon, () => void this._share(file));
      action('rename', this._m.rename, editIcon, () => void this._rename(file));
    }
    action('copy', this._m.copyPath, copyIcon, () => Clipboard.copyToSystem(this._s3url(entry.key)));
    action('delete', this._m.delete, deleteIcon, () => void this._delete(entry, folder));
    li.append(actions);
    return li;
  }

  private _s3url(key: string): string {
    return `s3://${this._space!.bucket}/${this._space!.prefix}${key}`;
  }

  private _downloadLink(key: string): HTMLAnchorElement {
    const a = el('a');
    a.href = this._client.downloadUrl(this._space!.id, key);
    a.download = key.split('/').pop() ?? key;
    return a;
  }

  private async _newFolder(): Promise<void> {
    const answer = await InputDialog.getText({ title: this._m.newFolderPrompt });
    if (!answer.button.accept || !answer.value) {
      return;
    }
    await this._try(() => this._client.mkdir(this._space!.id, this._prefix + answer.value));
  }

  private async _delete(entry: IFolderEntry, folder: boolean): Promise<void> {
    const result = await showDialog({
      title: this._m.delete,
      body: folder ? this._m.deleteFolderConfirm(entry.name) : this._m.deleteConfirm(entry.name),
      buttons: [Dialog.cancelButton({ label: this._m.cancel }), Dialog.warnButton({ label: this._m.delete })]
    });
    if (result.button.accept) {
      await this._try(() => this._client.remove(this._space!.id, entry.key));
    }
  }

  private async _rename(entry: IFileEntry): Promise<void> {
    const answer = await InputDialog.getText({ title: this._m.renamePrompt, text: entry.key });
    if (!answer.button.accept || !answer.value || answer.value === entry.key) {
      return;
    }
    await this._try(() => this._client.move(this._space!.id, entry.key, answer.value!));
  }

  private async _share(entry: IFileEntry): Promise<void> {
    const choices: [string, number][] = [
      [this._m.oneHour, 3600],
      [this._m.oneDay, 86400],
      [this._m.sevenDays, 7 * 86400]
    ];
    const pick = await InputDialog.getItem({
      title: `${this._m.shareTitle}: ${entry.name}`,
      label: this._m.shareExpiry,
      items: choices.map(c => c[0])
    });
    if (!pick.button.accept) {
      return;
    }
    const seconds = choices.find(c => c[0] === pick.value)?.[1] ?? 3600;
    try {
      const url = await this._client.share(this._space!.id, entry.key, seconds);
      const body = el('div', 'jp-Datalab-shareBody');
      const field = el('input', 'jp-Datalab-shareLink');
      field.readOnly = true;
      field.value = url;
      body.append(el('p', undefined, this._m.shareLink), field);
      const result = await showDialog({
        title: this._m.shareTitle,
        body: new Widget({ node: body }),
        buttons: [Dialog.cancelButton({ label: this._m.close }), Dialog.okButton({ label: this._m.copy })]
      });
      if (result.button.accept) {
        Clipboard.copyToSystem(url);
      }
    } catch (error) {
      this.setStatus(this._m.failed(messageOf(error)), true);
    }
  }

  private async _snippets(entry: IFileEntry): Promise<void> {
    const body = el('div', 'jp-Datalab-snippets');
    const found = snippets(this._s3url(entry.key));
    if (!found.length) {
      body.append(el('p', undefined, this._m.noSnippets));
    }
    for (const snippet of found) {
      const block = el('div', 'jp-Datalab-snippet');
      const head = el('div', 'jp-Datalab-snippetHead', snippet.label);
      const copy = el('button', 'jp-Datalab-button', this._m.copy);
      copy.onclick = () => Clipboard.copyToSystem(snippet.code);
      head.append(copy);
      block.append(head, el('pre', undefined, snippet.code));
      body.append(block);
    }
    await showDialog({
      title: this._m.snippetsTitle(entry.name),
      body: new Widget({ node: body }),
      buttons: [Dialog.okButton({ label: this._m.close })]
    });
  }

  private async _preview(entry: IFileEntry): Promise<void> {
    try {
      const table = await this._client.preview(this._space!.id, entry.key);
      const node = el('table', 'jp-Datalab-preview');
      const head = el('tr');
      table.columns.forEach(c => head.append(el('th', undefined, c)));
      node.append(head);
      for (const row of table.rows) {
        const tr = el('tr');
        row.forEach(v => tr.append(el('td', undefined, v)));
        node.append(tr);
      }
      await showDialog({
        title: this._m.previewTitle(entry.name),
        body: new Widget({ node }),
        buttons: [Dialog.okButton({ label: this._m.close })]
      });
    } catch (error) {
      this.setStatus(this._m.failed(messageOf(error)), true);
    }
  }

  private async _uploadFiles(files: (File | IPathedFile)[]): Promise<void> {
    if (!this._space) {
      return;
    }
    const space = this._space;
    const prefix = this._prefix;
    await Promise.all(
      files.map(async entry => {
        const file = entry instanceof File ? entry : entry.file;
        const path = entry instanceof File ? entry.name : entry.path;
        const item = el('li', 'jp-Datalab-upload-item');
        item.dataset.name = path;
        const label = el('span', 'jp-Datalab-upload-name', path);
        const bar = el('progress', 'jp-Datalab-upload-progress');
        bar.max = 1;
        bar.value = 0;
        const state = el('span', 'jp-Datalab-upload-state', '0%');
        const cancel = el('button', 'jp-Datalab-iconButton');
        cancel.append(closeIcon.element({ tag: 'span', className: 'jp-Datalab-icon' }));
        cancel.title = this._m.cancel;
        cancel.dataset.action = 'cancel';
        item.append(label, bar, state, cancel);
        this._uploads.append(item);
        const { xhr, done } = this._client.upload(space.id, prefix + path, file, f => {
          bar.value = f;
          state.textContent = `${Math.round(f * 100)}%`;
        });
        cancel.onclick = () => xhr.abort();
        try {
          await done;
          item.dataset.state = 'done';
          state.textContent = this._m.uploadDone;
          bar.value = 1;
          setTimeout(() => item.remove(), 4000);
        } catch (error) {
          const cancelled = error instanceof ServiceError && error.status === -1;
          item.dataset.state = cancelled ? 'cancelled' : 'error';
          state.textContent = cancelled ? this._m.uploadCancelled : this._m.failed(messageOf(error));
          item.classList.toggle('jp-mod-error', !cancelled);
        }
        cancel.remove();
      })
    );
    if (this._space === space && this._prefix === prefix) {
      await this._load(false);
    }
  }

  private async _try(action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.setStatus(this._m.failed(messageOf(error)), true);
      return;
    }
    await this._load(false);
  }


  private readonly _m: IStorageMessages;
  private readonly _client: StorageClient;
  private readonly _toolbar: HTMLDivElement;
  private readonly _crumbs: HTMLElement;
  private readonly _table: HTMLDivElement;
  private readonly _head: HTMLDivElement;
  private readonly _list: HTMLDivElement;
  private readonly _more: HTMLButtonElement;
  private readonly _uploads: HTMLUListElement;
  private readonly _input: HTMLInputElement;
  private _spaces: ISpace[] = [];
  private _space: ISpace | null = null;
  private _prefix = '';
  private _folders: IFolderEntry[] = [];
  private _files: IFileEntry[] = [];
  private _token: string | null = null;
  private _sort: SortKey = 'name';
  private _ascending = true;
}

/** A file dropped inside a folder, with its path relative to the drop. */
interface IPathedFile {
  file: File;
  path: string;
}

/** Every file under a dropped entry (a file, or a folder read recursively). */
async function collectFiles(entry: FileSystemEntry, parent: string): Promise<IPathedFile[]> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) =>
      (entry as FileSystemFileEntry).file(resolve, reject)
    );
    return [{ file, path: parent + entry.name }];
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  // readEntries answers in batches until it returns an empty one
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject)
    );
    if (!batch.length) {
      break;
    }
    children.push(...batch);
  }
  const nested = await Promise.all(
    children.map(child => collectFiles(child, `${parent}${entry.name}/`))
  );
  return nested.flat();
}
