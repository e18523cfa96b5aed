/**
 * Client for the secrets API of the datalab server extension
 * (`<baseUrl>datalab/api/secrets/`). Values travel only on explicit reads.
 */
import { ServerConnection } from '@jupyterlab/services';

import { apiJSON } from './api';

export interface ISecretSpace {
  id: string;
  path: string;
  project?: string;
}

export interface ISecretEntry {
  path: string;
  name: string;
  injected?: boolean;
}

export interface ISecretListing {
  folder: string;
  folders: ISecretEntry[];
  secrets: ISecretEntry[];
}

export interface ISecretDescription {
  path: string;
  keys: string[];
  version: number;
  versions: { version: number; created_time: string; deleted: boolean }[];
  injected: boolean;
}

export class SecretsError extends Error {
  constructor(message: string, readonly status = 0) {
    super(message);
    this.name = 'SecretsError';
  }
}

export class SecretsClient {
  constructor(
    readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  private _json(
    path: string,
    init: RequestInit = {},
    params: Record<string, string> = {}
  ): Promise<any> {
    return apiJSON(this.settings, 'secrets', path, init, params,
      (message, status) => new SecretsError(message, status));
  }

  spaces(): Promise<{ configured: boolean; spaces: ISecretSpace[] }> {
    return this._json('spaces');
  }

  list(space: string, folder: string): Promise<ISecretListing> {
    return this._json(`${space}/list`, {}, { folder });
  }

  describe(space: string, path: string): Promise<ISecretDescription> {
    return this._json(`${space}/secret`, {}, { path });
  }

  async values(space: string, path: string, version?: number): Promise<Record<string, string>> {
    const params: Record<string, string> = { path };
    if (version) {
      params.version = String(version);
    }
    return (await this._json(`${space}/value`, {}, params)).data;
  }

  write(space: string, path: string, data: Record<string, string>): Promise<{ version: number }> {
    return this._json(`${space}/secret`, { method: 'PUT', body: JSON.stringify({ path, data }) });
  }

  remove(space: string, path: string): Promise<void> {
    return this._json(`${space}/secret`, { method: 'DELETE' }, { path });
  }

  rename(space: string, source: string, target: string): Promise<void> {
    return this._json(`${space}/rename`, { method: 'POST', body: JSON.stringify({ source, target }) });
  }

  restore(space: string, path: string, version: number): Promise<void> {
    return this._json(`${space}/restore`, { method: 'POST', body: JSON.stringify({ path, version }) });
  }

  inject(space: string, path: string, injected: boolean): Promise<void> {
    return this._json(`${space}/inject`, { method: 'POST', body: JSON.stringify({ path, injected }) });
  }
}
