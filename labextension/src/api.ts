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
