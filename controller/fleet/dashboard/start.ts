/**
 * `imagectl fleet dashboard`: connect to the hub, follow it (feed.ts), and serve the page. A
 * listen address that is not a loopback one needs a token file (SPEC §6); without one the start
 * is refused before anything listens. The first connection to the hub fails fast with the fleet
 * commands' own messages; after that the connection comes back by itself and the page says when
 * it is away.
 */
import type { Server } from 'node:http';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { parseListen, readTokenFile } from '../../agent/auth.js';
import { connectError, connectOptions, type FleetAuth } from '../connect.js';
import { defaultAssetsDir, loadAssets } from './assets.js';
import { DashboardAuth, isLoopbackHost } from './auth.js';
import { FleetFeed, type FeedLog } from './feed.js';
import { FleetModel } from './model.js';
import { dashboardHandler, listenOn } from './server.js';
import { SseHub } from './sse.js';

export class DashboardStartError extends Error {}

export interface DashboardOptions {
  fleet: FleetAuth;
  /** `HOST:PORT` */
  listen: string;
  tokenFile?: string;
  log: FeedLog;
  assetsDir?: string;
  /** how long the start waits for the hub's current state before it serves anyway */
  initialWaitMs?: number;
}

export interface Dashboard {
  url: string;
  server: Server;
  model: FleetModel;
  sse: SseHub;
  stop(): Promise<void>;
}

/** How often staleness and the 24 h windows are looked at again. */
const TICK_MS = 5_000;

/** The token the listen address needs (null: none needed, none given), checked before anything starts. */
export function dashboardToken(listen: string, tokenFile: string | undefined): { host: string; port: number; token: string | null } {
  let addr: { host: string; port: number };
  try {
    addr = parseListen(listen);
  } catch (err) {
    throw new DashboardStartError((err as Error).message);
  }
  if (tokenFile === undefined) {
    if (!isLoopbackHost(addr.host)) {
      throw new DashboardStartError(`--listen ${listen} is not a loopback address: the dashboard serves other hosts only with a token (--token-file FILE, mode 0600, at least 16 characters)`);
    }
    return { ...addr, token: null };
  }
  try {
    return { ...addr, token: readTokenFile(tokenFile) };
  } catch (err) {
    throw new DashboardStartError((err as Error).message);
  }
}

async function connectHub(a: FleetAuth): Promise<NatsConnection> {
  const o = connectOptions(a, 'imagectl-fleet-dashboard');
  try {
    // fails fast when the hub is not there at start; reconnects for ever once connected
    return await connect({ ...o, timeout: 5_000 });
  } catch (err) {
    throw connectError(a, err);
  }
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const { host, port, token } = dashboardToken(o.listen, o.tokenFile);
  const assets = loadAssets(o.assetsDir ?? defaultAssetsDir());
  const nc = await connectHub(o.fleet);
  const model = new FleetModel();
  const sse = new SseHub(model);
  const feed = new FleetFeed({ nc, model, log: o.log, onChange: () => sse.changed() });
  const started = feed.start();
  await Promise.race([started, new Promise((r) => setTimeout(r, o.initialWaitMs ?? 10_000).unref())]);
  const tick = setInterval(() => {
    model.tick(Date.now());
    sse.changed();
  }, TICK_MS);
  tick.unref();
  let server: Server;
  try {
    server = await listenOn(dashboardHandler({ model, sse, auth: new DashboardAuth(token), assets }), host, port);
  } catch (err) {
    clearInterval(tick);
    await feed.stop();
    await nc.close().catch(() => undefined);
    throw new DashboardStartError((err as Error).message);
  }
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`, server, model, sse,
    stop: async () => {
      clearInterval(tick);
      sse.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await feed.stop();
      await nc.close().catch(() => undefined);
    },
  };
}
