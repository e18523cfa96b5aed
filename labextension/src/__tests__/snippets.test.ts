import { describe, expect, it } from 'vitest';

import { connectionSnippets, kernelName } from '../connection-snippets';
import { printable, secretSnippets, snippets, sqlQuoted } from '../snippets';

describe('snippets (files)', () => {
  it('reads a file by type, its address as a string literal', () => {
    const [pandas, polars] = snippets('s3://user-carol/q3.parquet');
    expect(pandas.code).toContain('pd.read_parquet("s3://user-carol/q3.parquet")');
    expect(polars.code).toContain('pl.read_parquet(');
  });

  it('keeps hostile names inside their literal', () => {
    const url = 's3://b/q3.csv" if __import__("os").system("id") else "q3.csv';
    const [pandas] = snippets(url);
    expect(pandas.code).toContain(JSON.stringify(url));
    expect(sqlQuoted("a'b")).toBe("'a''b'");
  });

  it('gives no snippet for names with control characters', () => {
    expect(printable('a\nb')).toBe(false);
    expect(snippets('s3://b/a\u0007.csv')).toEqual([]);
  });
});

describe('secretSnippets', () => {
  it('names the secret and its first key as Python literals', () => {
    const code = secretSnippets('secret', 'users/bob/db"x', ['PG"PASSWORD']);
    expect(code).toContain('path="users/bob/db\\"x"');
    expect(code).toContain('os.environ["PG\\"PASSWORD"]');
  });
});

describe('connectionSnippets', () => {
  it('offers clients for the services the variables point to, with the suffix', () => {
    const found = connectionSnippets({ DATABASE_URL: 'postgresql://a:b@db/app' }, 'pg1');
    expect(found.map(s => s.label)).toEqual([
      'PostgreSQL (psycopg)',
      'PostgreSQL (pandas + SQLAlchemy)',
      'Python (os.environ)'
    ]);
    expect(found[0].code).toContain('os.environ["DATABASE_URL_pg1"]');
    expect(found.every(s => !s.code.includes('a:b@'))).toBe(true);
  });

  it('has nothing to offer without variables', () => {
    expect(connectionSnippets({})).toEqual([]);
    expect(kernelName('REDIS_URL', '')).toBe('REDIS_URL');
  });
});
