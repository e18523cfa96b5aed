/**
 * Uploads of the Storage panel: the progress list (each file with its bar and a
 * cancel button) and files dropped on the panel, folders keeping their structure.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { closeIcon } from '@jupyterlab/ui-components';

import { ServiceError } from '../api';
import { el, messageOf } from '../dom';
import { joinKey } from '../paths';
import type { StorageClient } from '../storage-api';

/** A file dropped inside a folder, with its path relative to the drop. */
export interface IPathedFile {
  file: File;
  path: string;
}

/** The list of uploads in progress (and of those just finished, for a few seconds). */
export class UploadList {
  constructor(
    private readonly _client: StorageClient,
    private readonly _trans: TranslationBundle
  ) {
    this.node = el('ul', 'jp-Datalab-uploads');
  }

  /** Send every file to `prefix` in `space`; resolves when all are done or failed. */
  async upload(space: string, prefix: string, files: (File | IPathedFile)[]): Promise<void> {
    await Promise.all(files.map(entry => this._one(space, prefix, entry)));
  }

  private async _one(space: string, prefix: string, entry: File | IPathedFile): Promise<void> {
    const trans = this._trans;
    const file = entry instanceof File ? entry : entry.file;
    const path = entry instanceof File ? entry.name : entry.path;
    const item = el('li', 'jp-Datalab-upload-item');
    item.dataset.name = path;
    const bar = el('progress', 'jp-Datalab-upload-progress');
    bar.max = 1;
    bar.value = 0;
    const state = el('span', 'jp-Datalab-upload-state', '0%');
    const cancel = el('button', 'jp-Datalab-iconButton');
    cancel.append(closeIcon.element({ tag: 'span', className: 'jp-Datalab-icon' }));
    cancel.title = trans.__('Cancel');
    cancel.setAttribute('aria-label', trans.__('Cancel'));
    cancel.dataset.action = 'cancel';
    item.append(el('span', 'jp-Datalab-upload-name', path), bar, state, cancel);
    this.node.append(item);
    const { xhr, done } = this._client.upload(space, joinKey(prefix, path), file, fraction => {
      bar.value = fraction;
      state.textContent = `${Math.round(fraction * 100)}%`;
    });
    cancel.onclick = () => xhr.abort();
    try {
      await done;
      item.dataset.state = 'done';
      state.textContent = trans.__('uploaded');
      bar.value = 1;
      setTimeout(() => item.remove(), 4000);
    } catch (error) {
      const cancelled = error instanceof ServiceError && error.status === -1;
      item.dataset.state = cancelled ? 'cancelled' : 'error';
      state.textContent = cancelled ? trans.__('cancelled') : trans.__('Failed: %1', messageOf(error));
      item.classList.toggle('jp-mod-error', !cancelled);
    }
    cancel.remove();
  }

  readonly node: HTMLUListElement;
}

/** Call `upload` with the files (and folders' files) dropped on `node`. */
export function acceptDrops(node: HTMLElement, upload: (files: (File | IPathedFile)[]) => void): void {
  node.addEventListener('dragover', event => {
    if (event.dataTransfer?.types.includes('Files')) {
      event.preventDefault();
      node.classList.add('jp-mod-dropTarget');
    }
  });
  node.addEventListener('dragleave', () => node.classList.remove('jp-mod-dropTarget'));
  node.addEventListener('drop', event => {
    node.classList.remove('jp-mod-dropTarget');
    const entries = Array.from(event.dataTransfer?.items ?? [])
      .map(item => item.webkitGetAsEntry?.())
      .filter((e): e is FileSystemEntry => !!e);
    const files = Array.from(event.dataTransfer?.files ?? []);
    if (entries.length) {
      event.preventDefault();
      event.stopPropagation();
      // folders keep their structure: each file goes to <folder>/<its path>
      void Promise.all(entries.map(e => collectFiles(e, ''))).then(lists => upload(lists.flat()));
    } else if (files.length) {
      // no file-system entries (a drop made by a script): plain files
      event.preventDefault();
      event.stopPropagation();
      upload(files);
    }
  });
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
  const nested = await Promise.all(children.map(child => collectFiles(child, `${parent}${entry.name}/`)));
  return nested.flat();
}
