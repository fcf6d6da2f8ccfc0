/**
 * The metrics port (`--metrics-listen HOST:PORT`, off by default): Prometheus scrapes `/metrics`
 * there, and nothing else is served. `--metrics-token-file` (mode 0600, at least 16 characters)
 * makes every request need `Authorization: Bearer <token>`. The API socket serves `/metrics` too.
 */
import type http from 'node:http';
import type { Router } from '../api/http.js';
import type { Logger } from '../reconcile/reconciler.js';
import type { AgentMetrics } from '../metrics/metrics.js';
import { metricsHandler, metricsServer } from '../metrics/serve.js';
import { bearerCheck, parseListen, readTokenFile } from './auth.js';
import { ListenError } from './listeners.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export interface MetricsOptions {
  metricsListen?: string;
  metricsTokenFile?: string;
}

/** Where the agent's metrics are served: `/metrics` on the API, and the metrics port when asked. */
export class MetricsEndpoints {
  private port: http.Server | null = null;

  constructor(readonly metrics: AgentMetrics, api: Router, private readonly o: MetricsOptions, private readonly log: Logger) {
    api.on('GET', '/metrics', metricsHandler(metrics));
  }

  async listen(): Promise<void> {
    this.port = await listenMetrics(this.metrics, this.o, this.log);
  }

  async close(): Promise<void> {
    const port = this.port;
    if (port) {
      await new Promise<void>((resolve) => {
        port.close(() => resolve());
        port.closeAllConnections();
      });
    }
    this.metrics.close();
  }
}

/** Listen on the metrics port when asked; returns its server, or null. */
export async function listenMetrics(metrics: AgentMetrics, o: MetricsOptions, log: Logger): Promise<http.Server | null> {
  if (!o.metricsListen) {
    if (o.metricsTokenFile) throw new ListenError('--metrics-token-file needs --metrics-listen HOST:PORT');
    return null;
  }
  let addr: { host: string; port: number };
  let check: ((h: string | undefined) => boolean) | null = null;
  try {
    addr = parseListen(o.metricsListen, '--metrics-listen');
    if (o.metricsTokenFile) check = bearerCheck(readTokenFile(o.metricsTokenFile, '--metrics-token-file'));
  } catch (err) {
    throw new ListenError((err as Error).message);
  }
  const server = metricsServer(metrics, check);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new ListenError(`--metrics-listen ${o.metricsListen}: ${err.message}`)));
    server.listen(addr.port, addr.host, () => resolve());
  });
  const address = `${addr.host}:${addr.port}`;
  if (!check && !LOOPBACK.test(addr.host)) log.warn({ address }, 'the metrics port listens beyond loopback without a token (--metrics-token-file); it serves only /metrics');
  else log.info({ address, token: check !== null }, 'serving metrics');
  return server;
}
