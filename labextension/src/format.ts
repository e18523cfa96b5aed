/** How sizes and dates read in the sidebar (pure: unit-tested in __tests__/format.test.ts). */

/** Bytes in binary multiples, one decimal past the first unit: `1.5 KB`, `512 B`. */
export function humanSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** A file's date: the time if it is today, else the short date (full in the tooltip). */
export function shortDate(iso: string, now = new Date()): string {
  const date = new Date(iso);
  if (isNaN(date.getTime())) {
    return '';
  }
  const today = date.toDateString() === now.toDateString();
  return today
    ? date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString(undefined, { dateStyle: 'short' });
}

/** Whole seconds since `created` (epoch seconds), never negative; 0 when unknown. */
export function elapsedSeconds(created: number | null | undefined, nowMs = Date.now()): number {
  if (!created) {
    return 0;
  }
  return Math.max(0, Math.round(nowMs / 1000 - created));
}
