import { describe, expect, it } from 'vitest';
import type { NodeDisk } from '../crd/fleet/node-status.js';
import { nodeDiskCell, nodeDiskText } from './disk.js';

const root = { path: '/var/lib/docker', usedBytes: 91e8, totalBytes: 1e10, usedRatio: 0.9123 };

describe('a fleet node\'s disk', () => {
  it('get nodes -o wide: used percent, with the thresholds of a budget and a mark under pressure', () => {
    expect(nodeDiskCell(null)).toBe('<none>');
    expect(nodeDiskCell(root)).toBe('91.2%');
    const budget: NodeDisk = { ...root, usedPercent: 91.23, highThresholdPercent: 85, lowThresholdPercent: 80, underPressure: true, wouldRemove: [] };
    expect(nodeDiskCell(budget)).toBe('91.2%! (85%/80%)');
    expect(nodeDiskCell({ ...budget, usedPercent: 50, underPressure: false })).toBe('50% (85%/80%)');
    // a remote engine with a byte budget: no data root, the images against their maximum
    expect(nodeDiskCell({ path: null, usedBytes: null, totalBytes: null, usedRatio: null, imageBytes: 7.5e9, maxImageBytes: 10e9, targetImageBytes: 8e9, underPressure: false })).toBe('7.50GB/10.0GB');
  });

  it('describe node: the usage, and the budget when one applies', () => {
    expect(nodeDiskText(null)).toBe('<unknown>');
    expect(nodeDiskText(root)).toBe('9.10GB of 10.0GB used (/var/lib/docker, 91.2%); no disk budget');
    const budget: NodeDisk = { ...root, usedPercent: 91.23, highThresholdPercent: 85, lowThresholdPercent: 80, underPressure: true, budgets: [{ policy: 'p', form: 'percent', highThresholdPercent: 85, lowThresholdPercent: 80, minAge: '2m', exceeded: true }] };
    expect(nodeDiskText(budget)).toBe('9.10GB of 10.0GB used (/var/lib/docker, 91.2%); high 85%, low 80%: under pressure');
  });
});
