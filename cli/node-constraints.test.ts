import { describe, expect, it } from 'vitest';
import { parseNodeConstraints } from './node-constraints.js';

describe('node constraints', () => {
  it('come from the config, then the flags, and are checked at start', () => {
    expect(parseNodeConstraints(['purpose == cleanup'], ['tier > 2', ' '])).toEqual(['purpose == cleanup', 'tier > 2']);
    expect(parseNodeConstraints(undefined, [])).toEqual([]);
    expect(() => parseNodeConstraints(undefined, ['purpose =='])).toThrow(/--node-constraint: invalid constraint "purpose ==": at column \d+: expected a value/);
    expect(() => parseNodeConstraints('purpose == x', [])).toThrow('nodeConstraints: must be a list of constraint expressions');
  });
});
