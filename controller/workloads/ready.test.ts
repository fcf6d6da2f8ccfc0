import { describe, expect, it } from 'vitest';
import { withReady } from './ready.js';

const c = (type: string, status: 'True' | 'False', reason = 'R', at = 't0') => ({ type, status, reason, message: `${type} ${status}`, lastTransitionTime: at });

describe('the Ready condition of a Workload', () => {
  it('is true exactly when ImageReady and ContainerReady are', () => {
    expect(withReady([c('ImageReady', 'True'), c('ContainerReady', 'True')], [], 't1').at(-1)).toMatchObject({ type: 'Ready', status: 'True', reason: 'Ready', lastTransitionTime: 't1' });
    expect(withReady([c('ImageReady', 'False', 'PullFailed'), c('ContainerReady', 'True')], [], 't1').at(-1)).toMatchObject({ status: 'False', reason: 'PullFailed', message: 'ImageReady is not true: ImageReady False' });
    expect(withReady([c('ImageReady', 'True'), c('ContainerReady', 'False', 'ContainerFailed')], [], 't1').at(-1)).toMatchObject({ status: 'False', reason: 'ContainerFailed' });
    expect(withReady([c('ImageReady', 'True')], [], 't1').at(-1)).toMatchObject({ status: 'False' });
  });

  it('keeps its transition time while its status stays, and replaces an older Ready', () => {
    const prev = [c('ImageReady', 'True'), c('ContainerReady', 'True'), c('Ready', 'True', 'Ready', 't0')];
    const again = withReady([c('ImageReady', 'True'), c('ContainerReady', 'True'), c('Ready', 'True', 'Ready', 't0')], prev, 't5');
    expect(again.filter((x) => x.type === 'Ready')).toHaveLength(1);
    expect(again.at(-1)!.lastTransitionTime).toBe('t0');
    expect(withReady([c('ImageReady', 'False'), c('ContainerReady', 'True')], prev, 't5').at(-1)!.lastTransitionTime).toBe('t5');
  });
});
