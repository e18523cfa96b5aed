/** The storage table's order (pure: unit-tested in __tests__/sorting.test.ts). */

export type SortKey = 'name' | 'size' | 'date';

export interface ISortable {
  name: string;
}

export interface ISortableFile extends ISortable {
  size: number;
  modified: string;
}

const byName = (a: ISortable, b: ISortable) => a.name.localeCompare(b.name, undefined, { numeric: true });

/** Folders first, by name (they have no size or date); files by `key`, ties by name. */
export function sortEntries<F extends ISortable, G extends ISortableFile>(
  folders: F[],
  files: G[],
  key: SortKey,
  ascending: boolean
): { folders: F[]; files: G[] } {
  const sign = ascending ? 1 : -1;
  return {
    folders: [...folders].sort((a, b) => (key === 'name' ? sign : 1) * byName(a, b)),
    files: [...files].sort((a, b) => {
      if (key === 'size') {
        return sign * (a.size - b.size) || byName(a, b);
      }
      if (key === 'date') {
        return sign * a.modified.localeCompare(b.modified) || byName(a, b);
      }
      return sign * byName(a, b);
    })
  };
}

/** A click on a column: the same column reverses; a new one starts A to Z for names,
 * largest and newest first for sizes and dates. */
export function nextSort(current: SortKey, ascending: boolean, clicked: SortKey): { key: SortKey; ascending: boolean } {
  return { key: clicked, ascending: current === clicked ? !ascending : clicked === 'name' };
}
