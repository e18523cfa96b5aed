/**
 * Ready-to-paste code reading an S3 object, by file type.
 *
 * Object keys are chosen by whoever wrote the object, a project member among them, so
 * they are data, never code: each language gets the key as one of its own string
 * literals (seen before: a key `q3.csv" if __import__("os").system("id > x") else "q3.csv`
 * ran a command in the kernel of the member who pasted the pandas snippet). A key with
 * control characters gets no snippet: no literal of these languages shows it faithfully.
 */

/** A double-quoted string literal valid in Python and in R: JSON's escapes are theirs. */
export function quoted(text: string): string {
  return JSON.stringify(text);
}

/** A single-quoted SQL string literal (DuckDB): quotes doubled. */
export function sqlQuoted(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Whether a key can be shown in code as it is (no control characters). */
export function printable(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text);
}

export function snippets(url: string): { label: string; code: string }[] {
  if (!printable(url)) {
    return [];
  }
  const lower = url.toLowerCase();
  const parquet = lower.endsWith('.parquet');
  const reader = parquet ? 'parquet' : lower.endsWith('.json') ? 'json' : 'csv';
  const select = `SELECT * FROM ${sqlQuoted(url)} LIMIT 10`;
  return [
    {
      label: 'pandas',
      code: `import pandas as pd\ndf = pd.read_${reader}(${quoted(url)})`
    },
    {
      label: 'polars',
      code: `import polars as pl\ndf = pl.read_${reader}(${quoted(url)})`
    },
    {
      label: 'duckdb',
      // DuckDB does not read AWS_ENDPOINT_URL: give it the server's credentials
      code: [
        'import os',
        'from urllib.parse import urlparse',
        'import duckdb',
        '',
        'e = os.environ',
        'endpoint = urlparse(e["AWS_ENDPOINT_URL"])',
        'duckdb.sql(',
        '    "CREATE OR REPLACE SECRET datalab (TYPE s3, URL_STYLE \'path\', "',
        '    f"KEY_ID \'{e[\'AWS_ACCESS_KEY_ID\']}\', SECRET \'{e[\'AWS_SECRET_ACCESS_KEY\']}\', "',
        '    f"SESSION_TOKEN \'{e.get(\'AWS_SESSION_TOKEN\', \'\')}\', "',
        '    f"REGION \'{e.get(\'AWS_DEFAULT_REGION\', \'us-east-1\')}\', "',
        '    f"ENDPOINT \'{endpoint.netloc}\', USE_SSL {endpoint.scheme == \'https\'})"',
        ')',
        `duckdb.sql(${quoted(select)}).show()`
      ].join('\n')
    },
    {
      label: 'R (arrow)',
      code: parquet
        ? `df <- arrow::read_parquet(${quoted(url)})`
        : `df <- arrow::read_csv_arrow(${quoted(url)})`
    }
  ];
}

/**
 * Code reading a Vault secret: hvac (by its path) and os.environ (once injected).
 * The path and key are data too (a project member names them): Python literals.
 */
export function secretSnippets(mount: string, path: string, keys: string[]): string {
  const first = keys[0] ?? 'KEY';
  return (
    'import hvac  # VAULT_ADDR and VAULT_TOKEN come from the environment\n' +
    'client = hvac.Client()\n' +
    `secret = client.secrets.kv.v2.read_secret_version(mount_point=${quoted(mount)}, path=${quoted(path)})\n` +
    `value = secret["data"]["data"][${quoted(first)}]\n\n` +
    '# once injected, in a new kernel:\n' +
    `import os\nvalue = os.environ[${quoted(first)}]`
  );
}
