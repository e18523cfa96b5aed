/**
 * Storage: browse, upload, download, share and delete files in the user's S3
 * spaces (personal, then projects). Talks only to its own client, storage-api.ts;
 * its dialogs are in storage-dialogs.ts, its uploads in uploads.ts.
 */
import { Clipboard } from '@jupyterlab/apputils';
import {
  codeIcon,
  copyIcon,
  deleteIcon,
  downloadIcon,
  editIcon,
  fileIcon,
  fileUploadIcon,
  folderIcon,
  LabIcon,
  linkIcon,
  newFolderIcon,
  refreshIcon,
  tableRowsIcon
} from '@jupyterlab/ui-components';

import type { II18n } from '../i18n';
import { IFileEntry, IFolderEntry, ISpace, StorageClient } from '../storage-api';
import { el, messageOf } from '../dom';
import { humanSize, shortDate } from '../format';
import { baseName, crumbs, joinKey, s3Url } from '../paths';
import { nextSort, SortKey, sortEntries } from '../sorting';
import { DatalabPanel } from './panel';
import { askName, confirmDelete, shareLink, showPreview, showSnippets } from './storage-dialogs';
import { acceptDrops, IPathedFile, UploadList } from './uploads';

export class StoragePanel extends DatalabPanel {
  constructor(i18n: II18n, client = new StorageClient()) {
    super({ kind: 'storage', title: i18n.trans.__('Storage'), i18n });
    this._client = client;
    this.addClass('jp-Datalab-storage');
    const trans = this.trans;

    this.addAction('upload', fileUploadIcon, trans.__('Upload'), () => this._input.click());
    this.addAction('new-folder', newFolderIcon, trans.__('New folder'), () => void this._newFolder());
    this.addAction('refresh', refreshIcon, trans.__('Refresh'), () => void this._load(false));
    this.toolbar.hide();

    this._crumbs = el('nav', 'jp-Datalab-breadcrumbs');
    this._table = el('div', 'jp-Datalab-storage-table');
    this._table.setAttribute('role', 'table');
    this._head = el('div', 'jp-Datalab-storage-head');
    this._head.setAttribute('role', 'row');
    this._list = el('div', 'jp-Datalab-storage-list');
    this._list.setAttribute('role', 'rowgroup');
    this._table.append(this._head, this._list);
    this._more = el('button', 'jp-Datalab-button jp-Datalab-loadMore', trans.__('Load more'));
    this._more.onclick = () => void this._load(true);
    this._uploads = new UploadList(client, trans);
    this._input = el('input', 'jp-Datalab-upload-input');
    this._input.type = 'file';
    this._input.multiple = true;
    this._input.hidden = true;
    this._input.setAttribute('aria-label', trans.__('Upload'));
    this._input.onchange = () => {
      void this._upload(Array.from(this._input.files ?? []));
      this._input.value = '';
    };
    this.body.replaceChildren(this._crumbs, this.status, this._table, this._more, this._uploads.node, this._input);
    acceptDrops(this.node, files => void this._upload(files));
    void this.start();
  }

  /** Load the spaces, then the first one's root. */
  async start(): Promise<void> {
    this.setStatus(this.trans.__('Loading…'));
    try {
      const answer = await this._client.spaces();
      this._spaces = answer.configured ? answer.spaces : [];
    } catch (error) {
      this.setStatus(this.trans.__('Failed: %1', messageOf(error)), true);
      return;
    }
    if (!this._spaces.length) {
      this._table.hidden = true;
      this.setStatus(this.trans.__('No S3 storage is configured for this server.'));
      return;
    }
    this.toolbar.show();
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

  private async _load(more: boolean): Promise<void> {
    if (!this._space) {
      return;
    }
    if (!more) {
      this._folders = [];
      this._files = [];
      this._token = null;
      this.setStatus(this.trans.__('Loading…'));
    }
    try {
      const page = await this._client.list(this._space.id, this._prefix, more ? this._token : null);
      this._folders.push(...page.folders);
      this._files.push(...page.files);
      this._token = page.next_token;
      this.setStatus('');
    } catch (error) {
      this.setStatus(this.trans.__('Failed: %1', messageOf(error)), true);
    }
    this._render();
  }

  private _render(): void {
    this._renderCrumbs();
    this._renderHead();
    const { folders, files } = sortEntries(this._folders, this._files, this._sort, this._ascending);
    const rows = [...folders.map(f => this._row(f, true)), ...files.map(f => this._row(f, false))];
    if (!rows.length && !this.status.textContent) {
      this.setStatus(this.trans.__('This folder is empty. Drop files here to upload them.'));
    }
    this._list.replaceChildren(...rows);
    this._head.hidden = !rows.length;
    this._more.hidden = !this._token;
  }

  /** Column headers; a click sorts by that column, a second click reverses. */
  private _renderHead(): void {
    const trans = this.trans;
    const columns: [SortKey, string][] = [
      ['name', trans.__('Name')],
      ['size', trans.__('Size')],
      ['date', trans.__('Modified')]
    ];
    this._head.replaceChildren(
      ...columns.map(([key, label]) => {
        const cell = el('div', `jp-Datalab-storage-col jp-Datalab-storage-col-${key}`);
        cell.setAttribute('role', 'columnheader');
        const current = this._sort === key;
        cell.setAttribute('aria-sort', current ? (this._ascending ? 'ascending' : 'descending') : 'none');
        const b = el('button', 'jp-Datalab-storage-sortButton', label);
        b.dataset.sort = key;
        b.title = trans.__('Sort by %1 (click again to reverse)', label);
        if (current) {
          b.append(el('span', 'jp-Datalab-storage-sortArrow', this._ascending ? ' ▲' : ' ▼'));
        }
        b.onclick = () => {
          ({ key: this._sort, ascending: this._ascending } = nextSort(this._sort, this._ascending, key));
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
      select.title = this.trans.__('Storage space');
      for (const space of this._spaces) {
        const option = el('option', undefined, space.project ?? space.id);
        option.value = space.id;
        option.selected = space.id === this._space?.id;
        select.append(option);
      }
      select.onchange = () => void this.open('', this._spaces.find(s => s.id === select.value));
      parts.push(select);
    }
    const root = crumb(this._space?.bucket ?? '', '');
    root.title = this._space?.url ?? '';
    parts.push(root);
    for (const part of crumbs(this._prefix)) {
      parts.push(el('span', 'jp-Datalab-crumbSep', '›'), crumb(part.name, part.prefix));
    }
    this._crumbs.setAttribute('aria-label', this.trans.__('Location in the space'));
    this._crumbs.replaceChildren(...parts);
  }

  private _row(entry: IFolderEntry | IFileEntry, folder: boolean): HTMLElement {
    const trans = this.trans;
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
    name.title = folder ? entry.name : `${entry.name} (${trans.__('Download')})`;
    name.onclick = folder ? () => void this.open(entry.key) : () => this._downloadLink(entry.key).click();
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
      link.title = trans.__('Download');
      link.setAttribute('aria-label', trans.__('Download'));
      actions.append(link);
      if (/\.(csv|parquet)$/i.test(entry.name)) {
        action('preview', trans.__('Preview'), tableRowsIcon, () => void this._preview(file));
      }
      action('snippets', trans.__('Code snippets'), codeIcon,
        () => void showSnippets(trans, file.name, this._s3url(file.key)));
      action('share', trans.__('Share a link'), linkIcon, () => void this._share(file));
      action('rename', trans.__('Rename'), editIcon, () => void this._rename(file));
    }
    action('copy', trans.__('Copy the s3:// path'), copyIcon, () => Clipboard.copyToSystem(this._s3url(entry.key)));
    action('delete', trans.__('Delete'), deleteIcon, () => void this._delete(entry, folder));
    li.append(actions);
    return li;
  }

  private _s3url(key: string): string {
    return s3Url(this._space!.bucket, this._space!.prefix, key);
  }

  private _downloadLink(key: string): HTMLAnchorElement {
    const a = el('a');
    a.href = this._client.downloadUrl(this._space!.id, key);
    a.download = baseName(key) || key;
    return a;
  }

  private async _newFolder(): Promise<void> {
    const name = await askName(this.trans.__('Name of the new folder'));
    if (name) {
      await this._try(() => this._client.mkdir(this._space!.id, joinKey(this._prefix, name)));
    }
  }

  private async _delete(entry: IFolderEntry, folder: boolean): Promise<void> {
    if (await confirmDelete(this.trans, entry.name, folder)) {
      await this._try(() => this._client.remove(this._space!.id, entry.key));
    }
  }

  private async _rename(entry: IFileEntry): Promise<void> {
    const target = await askName(this.trans.__('New name (a path inside this space)'), entry.key);
    if (target) {
      await this._try(() => this._client.move(this._space!.id, entry.key, target));
    }
  }

  private async _share(entry: IFileEntry): Promise<void> {
    try {
      await shareLink(this.trans, entry.name, seconds => this._client.share(this._space!.id, entry.key, seconds));
    } catch (error) {
      this.setStatus(this.trans.__('Failed: %1', messageOf(error)), true);
    }
  }

  private async _preview(entry: IFileEntry): Promise<void> {
    try {
      await showPreview(this.trans, entry.name, await this._client.preview(this._space!.id, entry.key));
    } catch (error) {
      this.setStatus(this.trans.__('Failed: %1', messageOf(error)), true);
    }
  }

  private async _upload(files: (File | IPathedFile)[]): Promise<void> {
    if (!this._space) {
      return;
    }
    const space = this._space;
    const prefix = this._prefix;
    await this._uploads.upload(space.id, prefix, files);
    if (this._space === space && this._prefix === prefix) {
      await this._load(false);
    }
  }

  private async _try(action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.setStatus(this.trans.__('Failed: %1', messageOf(error)), true);
      return;
    }
    await this._load(false);
  }

  private readonly _client: StorageClient;
  private readonly _crumbs: HTMLElement;
  private readonly _table: HTMLDivElement;
  private readonly _head: HTMLDivElement;
  private readonly _list: HTMLDivElement;
  private readonly _more: HTMLButtonElement;
  private readonly _uploads: UploadList;
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
