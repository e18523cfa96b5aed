import { describe, expect, it } from 'vitest';

import { nextSort, sortEntries } from '../sorting';

const folders = [{ name: 'b' }, { name: 'a10' }, { name: 'a2' }];
const files = [
  { name: 'x.csv', size: 10, modified: '2026-01-02T00:00:00Z' },
  { name: 'y.csv', size: 300, modified: '2026-01-01T00:00:00Z' },
  { name: 'z.csv', size: 10, modified: '2026-01-03T00:00:00Z' }
];
const names = (list: { name: string }[]) => list.map(e => e.name);

describe('sortEntries', () => {
  it('sorts names naturally (a2 before a10), and reverses them', () => {
    expect(names(sortEntries(folders, files, 'name', true).folders)).toEqual(['a2', 'a10', 'b']);
    expect(names(sortEntries(folders, files, 'name', false).files)).toEqual(['z.csv', 'y.csv', 'x.csv']);
  });

  it('keeps folders by name when files are sorted by size or date', () => {
    expect(names(sortEntries(folders, files, 'size', false).folders)).toEqual(['a2', 'a10', 'b']);
    expect(names(sortEntries(folders, files, 'size', false).files)).toEqual(['y.csv', 'x.csv', 'z.csv']);
    expect(names(sortEntries(folders, files, 'date', false).files)).toEqual(['z.csv', 'x.csv', 'y.csv']);
  });

  it('leaves its input alone', () => {
    const copy = [...files];
    sortEntries(folders, files, 'size', true);
    expect(files).toEqual(copy);
  });
});

describe('nextSort', () => {
  it('reverses the same column, and starts a new one A to Z or largest first', () => {
    expect(nextSort('name', true, 'name')).toEqual({ key: 'name', ascending: false });
    expect(nextSort('name', true, 'size')).toEqual({ key: 'size', ascending: false });
    expect(nextSort('size', false, 'name')).toEqual({ key: 'name', ascending: true });
  });
});
