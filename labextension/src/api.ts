/**
 * Client for the datalab jupyter-server extension (`<baseUrl>datalab/api/`).
 *
 * Failures are thrown as DatalabApiError, which says what went wrong in a form
 * the sidebar can turn into words (see `describeError` in sidebar.ts).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** `GET datalab/api/info`: who is signed in and which datalab is running. */
export interface IDatalabInfo {
  version: string;
  user: string;
}

export type ApiErrorKind = 'unreachable' | 'http' | 'bad-answer';

export class DatalabApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly status?: number
  ) {
    super(message);
    this.name = 'DatalabApiError';
  }
}

/** GET a JSON document below `<baseUrl>datalab/api/`. */
async function requestJSON(
  path: string,
  settings: ServerConnection.ISettings
): Promise<unknown> {
  const url = URLExt.join(settings.baseUrl, 'datalab/api', path);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      url,
      { method: 'GET' },
      settings
    );
  } catch (error) {
    throw new DatalabApiError('unreachable', `GET ${url}: ${String(error)}`);
  }
  if (!response.ok) {
    throw new DatalabApiError(
      'http',
      `GET ${url}: HTTP ${response.status}`,
      response.status
    );
  }
  try {
    return await response.json();
  } catch (error) {
    throw new DatalabApiError('bad-answer', `GET ${url}: ${String(error)}`);
  }
}

export async function fetchInfo(
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<IDatalabInfo> {
  const data = (await requestJSON('info', settings)) as Partial<IDatalabInfo>;
  if (typeof data?.user !== 'string' || typeof data?.version !== 'string') {
    throw new DatalabApiError(
      'bad-answer',
      'GET datalab/api/info: expected {"version": string, "user": string}'
    );
  }
  return { version: data.version, user: data.user };
}

/**
 * A JSON request below `<baseUrl>datalab/api/<area>/`; a non-2xx answer throws
 * `makeError(message, status)` with the server's sentence (`{"message": ...}`).
 */
export async function apiJSON(
  settings: ServerConnection.ISettings,
  area: string,
  path: string,
  init: RequestInit,
  params: Record<string, string>,
  makeError: (message: string, status: number, answer?: any) => Error
): Promise<any> {
  const query = new URLSearchParams(params).toString();
  const url =
    URLExt.join(settings.baseUrl, 'datalab/api', area, path) + (query ? `?${query}` : '');
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, { cache: 'no-store', ...init }, settings);
  } catch (error) {
    throw makeError(String(error), 0);
  }
  let data: any = {};
  try {
    data = await response.json();
  } catch {
    data = {};
  }
  if (!response.ok) {
    throw makeError(data?.message || `HTTP ${response.status}`, response.status, data);
  }
  return data;
}

/** An error of a datalab service, with the server's sentence and HTTP status. */
export class ServiceError extends Error {
  constructor(message: string, readonly status = 0) {
    super(message);
    this.name = 'ServiceError';
  }
}

/** Base of the panels' API clients: JSON requests below `datalab/api/<area>/`. */
export class ServiceClient {
  constructor(
    readonly area: string,
    readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  protected json(
    path: string,
    init: RequestInit = {},
    params: Record<string, string> = {}
  ): Promise<any> {
    return apiJSON(this.settings, this.area, path, init, params,
      (message, status) => new ServiceError(message, status));
  }
}

/** An environment of the catalog, as `GET datalab/api/catalog` lists it. */
export interface ICatalogEnvironment {
  id: string;
  name: Record<string, string>;
  description: Record<string, string>;
  icon: string;
  category: string;
  /** The launch link: the hub's spawn page pre-filled for a server named after it. */
  launch: string;
}

export interface ICatalogAnswer {
  entries: ICatalogEnvironment[];
  /** Where the datalab's documentation is ('' when not configured). */
  docs_url: string;
}

/** The environments this user may start, of one category (`training`...). */
export async function fetchCatalog(
  category: string,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<ICatalogAnswer> {
  const data = await apiJSON(settings, 'catalog', '', { method: 'GET' }, { category },
    (message, status) => new ServiceError(message, status));
  if (!Array.isArray(data?.entries)) {
    throw new DatalabApiError('bad-answer', 'GET datalab/api/catalog: expected {"entries": [...]}');
  }
  return { entries: data.entries, docs_url: typeof data.docs_url === 'string' ? data.docs_url : '' };
}
