import { describe, expect, it } from 'vitest';

import { baseName, crumbs, joinKey, s3Url } from '../paths';

describe('joinKey', () => {
  it('joins a folder prefix and a name with exactly one slash', () => {
    expect(joinKey('', 'a.csv')).toBe('a.csv');
    expect(joinKey('reports/', 'a.csv')).toBe('reports/a.csv');
    expect(joinKey('reports', 'a.csv')).toBe('reports/a.csv');
    expect(joinKey('reports/', '/a.csv')).toBe('reports/a.csv');
    expect(joinKey('/reports/', 'sub/a.csv')).toBe('reports/sub/a.csv');
  });
});

describe('baseName', () => {
  it('is the last part of a key, a folder without its slash', () => {
    expect(baseName('a/b/c.csv')).toBe('c.csv');
    expect(baseName('a/b/')).toBe('b');
    expect(baseName('c.csv')).toBe('c.csv');
    expect(baseName('')).toBe('');
  });
});

describe('crumbs', () => {
  it('gives each folder of a prefix with the prefix that opens it', () => {
    expect(crumbs('')).toEqual([]);
    expect(crumbs('a/b/')).toEqual([
      { name: 'a', prefix: 'a/' },
      { name: 'b', prefix: 'a/b/' }
    ]);
    expect(crumbs('a//b')).toEqual([
      { name: 'a', prefix: 'a/' },
      { name: 'b', prefix: 'a/b/' }
    ]);
  });
});

describe('s3Url', () => {
  it('is the bucket, the space prefix and the key', () => {
    expect(s3Url('user-carol', '', 'notes.csv')).toBe('s3://user-carol/notes.csv');
    expect(s3Url('projects', 'stats/', 'q3/notes.csv')).toBe('s3://projects/stats/q3/notes.csv');
    expect(s3Url('projects', 'stats', 'notes.csv')).toBe('s3://projects/stats/notes.csv');
  });
});
