import { describe, expect, it } from 'vitest';
import { clockTime, humanBytes } from './format.js';
import { diskCell } from './rows.js';

describe('the disk cell', () => {
  it('shows a disk budget with its thresholds (plan -o json\'s disk)', () => {
    const c = diskCell({ path: '/var/lib/docker', usedPercent: 91.23, highThresholdPercent: 85, lowThresholdPercent: 80, underPressure: true, wouldRemove: [] });
    expect(c).toMatchObject({ text: '91.2%', percent: 91.23, high: 85, low: 80, pressure: true });
    expect(c!.detail).toBe('/var/lib/docker: 91.2% used, high 85%, low 80%, under pressure');
  });

  it('shows the byte form of a budget against its maximum', () => {
    const c = diskCell({ imageBytes: 7.5e9, maxImageBytes: 10e9, targetImageBytes: 8e9, underPressure: false });
    expect(c).toMatchObject({ text: '7.50 GB of 10.0 GB', percent: 75, high: 100, low: 80, pressure: false });
  });

  it('falls back to the data root\'s usage, and is blank without any', () => {
    expect(diskCell({ path: '/var/lib/docker', usedBytes: 4e9, totalBytes: 1e10, usedRatio: 0.4 })).toMatchObject({ text: '40%', percent: 40, high: null, low: null });
    expect(diskCell(null)).toBeNull();
    expect(diskCell({ path: '/x' })).toBeNull();
    expect(diskCell('91%')).toBeNull();
  });
});

describe('formatting', () => {
  it('prints bytes in decimal units', () => {
    expect([0, 999, 1000, 1_500_000, 12_345_678_901, 2e15].map(humanBytes)).toEqual(['0 B', '999 B', '1.00 kB', '1.50 MB', '12.3 GB', '2.00 PB']);
  });

  it('prints a time of today as a clock time, another day with its date, nonsense as nothing', () => {
    const now = new Date('2026-03-01T12:00:00');
    expect(clockTime(new Date('2026-03-01T09:05:07').toISOString(), now)).toBe('09:05:07');
    expect(clockTime(new Date('2026-02-27T09:05:07').toISOString(), now)).toBe('Feb 27, 09:05');
    expect(clockTime('soon', now)).toBe('');
  });
});
