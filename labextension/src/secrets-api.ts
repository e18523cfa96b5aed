/**
 * Client for the secrets API of the datalab server extension
 * (`<baseUrl>datalab/api/secrets/`). Values travel only on explicit reads.
 */
import { ServerConnection } from '@jupyterlab/services';

import { ServiceClient } from './api';

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

export class SecretsClient extends ServiceClient {
  constructor(settings?: ServerConnection.ISettings) {
    super('secrets', settings);
  }


  spaces(): Promise<{ configured: boolean; spaces: ISecretSpace[] }> {
    return this.json('spaces');
  }

  list(space: string, folder: string): Promise<ISecretListing> {
    return this.json(`${space}/list`, {}, { folder });
  }

  describe(space: string, path: string): Promise<ISecretDescription> {
    return this.json(`${space}/secret`, {}, { path });
  }

  async values(space: string, path: string, version?: number): Promise<Record<string, string>> {
    const params: Record<string, string> = { path };
    if (version) {
      params.version = String(version);
    }
    return (await this.json(`${space}/value`, {}, params)).data;
  }

  write(space: string, path: string, data: Record<string, string>): Promise<{ version: number }> {
    return this.json(`${space}/secret`, { method: 'PUT', body: JSON.stringify({ path, data }) });
  }

  remove(space: string, path: string): Promise<void> {
    return this.json(`${space}/secret`, { method: 'DELETE' }, { path });
  }

  rename(space: string, source: string, target: string): Promise<void> {
    return this.json(`${space}/rename`, { method: 'POST', body: JSON.stringify({ source, target }) });
  }

  restore(space: string, path: string, version: number): Promise<void> {
    return this.json(`${space}/restore`, { method: 'POST', body: JSON.stringify({ path, version }) });
  }

  inject(space: string, path: string, injected: boolean): Promise<void> {
    return this.json(`${space}/inject`, { method: 'POST', body: JSON.stringify({ path, injected }) });
  }
}
