import { describe, expect, it } from 'vitest';

import { elapsedSeconds, humanSize, shortDate } from '../format';

describe('humanSize', () => {
  it('keeps bytes whole and gives one decimal past them', () => {
    expect(humanSize(0)).toBe('0 B');
    expect(humanSize(1023)).toBe('1023 B');
    expect(humanSize(1024)).toBe('1.0 KB');
    expect(humanSize(1536)).toBe('1.5 KB');
    expect(humanSize(5 * 1024 ** 3)).toBe('5.0 GB');
  });

  it('stops at terabytes and never shows a negative size', () => {
    expect(humanSize(3 * 1024 ** 5)).toBe('3072.0 TB');
    expect(humanSize(-5)).toBe('0 B');
  });
});

describe('shortDate', () => {
  const now = new Date(2026, 2, 14, 16, 0);

  it('shows the time for today and the date otherwise', () => {
    const today = shortDate(new Date(2026, 2, 14, 9, 5).toISOString(), now);
    const before = shortDate(new Date(2025, 11, 31, 9, 5).toISOString(), now);
    expect(today).toMatch(/09|9/);
    expect(today).not.toMatch(/2025|2026|25|26/);
    expect(before).toMatch(/31/);
  });

  it('shows nothing for a date it cannot read', () => {
    expect(shortDate('not a date', now)).toBe('');
  });
});

describe('elapsedSeconds', () => {
  it('counts whole seconds since a start, never below zero', () => {
    expect(elapsedSeconds(1000, 1_012_400)).toBe(12);
    expect(elapsedSeconds(2000, 1_000_000)).toBe(0);
  });

  it('is zero when the start is unknown', () => {
    expect(elapsedSeconds(0)).toBe(0);
    expect(elapsedSeconds(null)).toBe(0);
  });
});
