/**
 * The metrics port's token file goes through the API's token-file check (auth.ts): a file its
 * group or other users can read or write is refused before anything listens (the security
 * issue's finding 10: 0640 and 0660 were accepted).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentMetrics } from '../metrics/metrics.js';
import { ListenError } from './listeners.js';
import { listenMetrics } from './metrics-listener.js';

const dir = mkdtempSync(join(tmpdir(), 'ictl-metrics-token-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('listenMetrics', () => {
  it('refuses a metrics token file with any group or other permission, naming the flag', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'metrics-token-0123456789abcdef\n');
    // the refusal comes before anything listens or reads the metrics: no registry is needed to see it
    const none = {} as AgentMetrics;
    for (const mode of [0o640, 0o660, 0o604, 0o644]) {
      chmodSync(file, mode);
      const err = await listenMetrics(none, { metricsListen: '127.0.0.1:9', metricsTokenFile: file }, log).then(() => null, (e: unknown) => e);
      expect(err, mode.toString(8)).toBeInstanceOf(ListenError);
      expect((err as Error).message).toBe(`--metrics-token-file ${file} is accessible to other users (mode 0${mode.toString(8)}); chmod 600 it`);
    }
  });
});
