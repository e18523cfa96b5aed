/**
 * Client for the storage API of the datalab server extension
 * (`<baseUrl>datalab/api/storage/`). Errors carry the server's sentence.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { ServiceClient, ServiceError } from './api';

export interface ISpace {
  id: string;
  bucket: string;
  prefix: string;
  url: string;
  project?: string;
}

export interface IFolderEntry {
  key: string;
  name: string;
}

export interface IFileEntry extends IFolderEntry {
  size: number;
  modified: string;
}

export interface IPage {
  prefix: string;
  folders: IFolderEntry[];
  files: IFileEntry[];
  next_token: string | null;
}

export class StorageClient extends ServiceClient {
  constructor(settings?: ServerConnection.ISettings) {
    super('storage', settings);
  }

  url(path: string, params: Record<string, string> = {}): string {
    const query = new URLSearchParams(params).toString();
    const base = URLExt.join(this.settings.baseUrl, 'datalab/api/storage', path);
    return query ? `${base}?${query}` : base;
  }


  async spaces(): Promise<{ configured: boolean; spaces: ISpace[] }> {
    return this.json('spaces');
  }

  async list(space: string, prefix: string, token?: string | null): Promise<IPage> {
    const params: Record<string, string> = { prefix, limit: '200' };
    if (token) {
      params.token = token;
    }
    return this.json(`${space}/list`, {}, params);
  }

  downloadUrl(space: string, key: string): string {
    return this.url(`${space}/object`, { key });
  }

  async remove(space: string, key: string): Promise<{ deleted: number }> {
    return this.json(`${space}/object`, { method: 'DELETE' }, { key });
  }

  async mkdir(space: string, key: string): Promise<{ key: string }> {
    return this.json(`${space}/folder`, {
      method: 'POST',
      body: JSON.stringify({ key })
    });
  }

  async move(space: string, source: string, target: string): Promise<void> {
    await this.json(`${space}/move`, {
      method: 'POST',
      body: JSON.stringify({ source, target })
    });
  }

  async share(space: string, key: string, expiresIn: number): Promise<string> {
    const data = await this.json(`${space}/share`, {
      method: 'POST',
      body: JSON.stringify({ key, expires_in: expiresIn })
    });
    return data.url;
  }

  async preview(
    space: string,
    key: string
  ): Promise<{ columns: string[]; rows: string[][] }> {
    return this.json(`${space}/preview`, {}, { key });
  }

  /**
   * Upload one file with progress; resolves when stored. `xhr.abort()` cancels
   * (the server then aborts the multipart upload).
   */
  upload(
    space: string,
    key: string,
    file: Blob,
    onProgress: (fraction: number) => void
  ): { xhr: XMLHttpRequest; done: Promise<void> } {
    const xhr = new XMLHttpRequest();
    const done = new Promise<void>((resolve, reject) => {
      xhr.open('PUT', this.url(`${space}/upload`, { key }));
      // the same headers ServerConnection.makeRequest adds
      if (this.settings.token) {
        xhr.setRequestHeader('Authorization', `token ${this.settings.token}`);
      }
      const xsrf = cookie('_xsrf');
      if (xsrf !== undefined) {
        xhr.setRequestHeader('X-XSRFToken', xsrf);
      }
      xhr.upload.onprogress = event => {
        if (event.lengthComputable) {
          onProgress(event.loaded / event.total);
        }
      };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          resolve();
        } else {
          let message = `HTTP ${xhr.status}`;
          try {
            message = JSON.parse(xhr.responseText).message || message;
          } catch {
            // keep the status
          }
          reject(new ServiceError(message, xhr.status));
        }
      };
      xhr.onerror = () => reject(new ServiceError('network', 0));
      xhr.onabort = () => reject(new ServiceError('cancelled', -1));
      xhr.send(file);
    });
    return { xhr, done };
  }
}

/**
 * A cookie's raw value, as @jupyterlab/services reads it: with duplicates at
 * different paths, the last one wins, like tornado's parser on the server.
 */
function cookie(name: string): string | undefined {
  let value: string | undefined;
  for (const part of document.cookie.split(';')) {
    const trimmed = part.trim();
    if (trimmed.startsWith(`${name}=`)) {
      value = trimmed.substring(name.length + 1);
    }
  }
  return value;
}
