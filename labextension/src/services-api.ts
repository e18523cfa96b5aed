/**
 * Client for the companion services API: the datalab hub service, reached
 * through the user's server at `<baseUrl>datalab/api/services/` (the server
 * extension forwards it to `/services/datalab/api/`). Errors carry the
 * server's sentence (quota exceeded, binary missing, crashed...) as is.
 *
 * Connection values may hold passwords: this module never logs or stores them.
 */
import { ServerConnection } from '@jupyterlab/services';

import { apiJSON, ServiceClient, ServiceError } from './api';

/** A text in both languages, as catalog files give it. */
export type Localized = { en?: string; fr?: string } | string;

/** The `x-datalab` annotations of one schema property. */
export interface IFieldHints {
  label?: Localized;
  help?: Localized;
  widget?: 'slider' | 'select' | 'toggle' | 'text' | 'textarea' | 'password';
  step?: number;
  unit?: Localized;
  hidden?: boolean;
  readonly?: boolean;
}

/** The subset of JSON Schema (draft 2020-12) the launch form understands. */
export interface ISchema {
  type?: string | string[];
  properties?: Record<string, ISchema>;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  'x-datalab'?: IFieldHints;
}

export interface ICatalogEntry {
  id: string;
  name: Localized;
  description: Localized;
  icon: string;
  category: string;
  versions: string[];
  /** The options' schema, already resolved for this user (defaults, bounds). */
  schema: ISchema;
  /** Why this entry cannot be launched here, or null. */
  unavailable: Localized | null;
}

export type ServiceStatus = 'starting' | 'ready' | 'failed' | 'stopped';

export interface IService {
  owner: string;
  name: string;
  entry: string;
  version: string;
  /** The entry's name and icon, for a service whose entry left the catalog. */
  entry_name?: Localized;
  icon?: string;
  status: ServiceStatus;
  /** What is happening, in words: one sentence, or one per language. */
  message: Localized;
  project: string | null;
  shared: boolean;
  created: number;
  mine: boolean;
  can_delete: boolean;
  /** Path of the web UI (open in a new tab), or null. */
  url: string | null;
  /**
   * The suffix of its variables in this person's kernels (`DATABASE_URL_<suffix>`), as
   * the datalab service gives them: the name for one's own, `OWNER___NAME` for others'.
   */
  suffix: string;
  /** The variables new kernels get: `{VAR: value}`; values may hold passwords. */
  connection: Record<string, string>;
}

export interface IServiceEvent {
  time: string | number;
  message: Localized;
}

export class ServicesClient extends ServiceClient {
  /** `language`: which of the server's sentences to show (it sends `en` and `fr`). */
  constructor(settings?: ServerConnection.ISettings, readonly language: 'en' | 'fr' = 'en') {
    super('services', settings);
  }

  protected json(
    path: string,
    init: RequestInit = {},
    params: Record<string, string> = {}
  ): Promise<any> {
    return apiJSON(this.settings, this.area, path, init, params, (message, status, answer) => {
      const own = answer?.[this.language];
      return new ServiceError(typeof own === 'string' && own ? own : message, status);
    });
  }

  async catalog(): Promise<ICatalogEntry[]> {
    return (await this.json('catalog')).entries ?? [];
  }

  async list(): Promise<IService[]> {
    return (await this.json('services')).services ?? [];
  }

  launch(entry: string, options: Record<string, unknown>, name?: string): Promise<IService> {
    const body: Record<string, unknown> = { entry, options };
    if (name) {
      body.name = name;
    }
    return this.json('services', { method: 'POST', body: JSON.stringify(body) });
  }

  async logs(service: IService, tail = 200): Promise<string[]> {
    return (await this.json(`${path(service)}/logs`, {}, { tail: String(tail) })).lines ?? [];
  }

  async events(service: IService): Promise<IServiceEvent[]> {
    return (await this.json(`${path(service)}/events`)).events ?? [];
  }

  share(service: IService, project: string): Promise<IService> {
    return this.json(`${path(service)}/share`, {
      method: 'POST',
      body: JSON.stringify({ project })
    });
  }

  unshare(service: IService): Promise<IService> {
    return this.json(`${path(service)}/share`, { method: 'DELETE' });
  }

  stop(service: IService): Promise<IService> {
    return this.json(`${path(service)}/stop`, { method: 'POST' });
  }

  start(service: IService): Promise<IService> {
    return this.json(`${path(service)}/start`, { method: 'POST' });
  }

  remove(service: IService): Promise<void> {
    return this.json(path(service), { method: 'DELETE' });
  }

  /**
   * The user's projects (to share with): the project spaces the server
   * extension lists for storage and secrets, whichever are configured.
   */
  async projects(): Promise<string[]> {
    const found = new Set<string>();
    for (const area of ['storage', 'secrets']) {
      try {
        const answer = await apiJSON(this.settings, area, 'spaces', {}, {},
          (message, status) => new ServiceError(message, status));
        for (const space of answer.spaces ?? []) {
          if (typeof space.project === 'string' && space.project) {
            found.add(space.project);
          }
        }
      } catch {
        // that area is not configured here: the other one may list them
      }
    }
    return [...found].sort();
  }
}

/** `services/<owner>/<name>`, each part escaped. */
function path(service: IService): string {
  return `services/${encodeURIComponent(service.owner)}/${encodeURIComponent(service.name)}`;
}
