/** The agent's one entry into the fleet: connect (in the background, until the hub lets it in) and follow the hub. */
import type { NatsConnection } from '@nats-io/transport-node';
import type { ApiDeps } from '../service/deps.js';
import { connectForever, connectOptions, type FleetAuth } from './connect.js';
import { FleetDevice, type DeviceLog } from './device.js';

const RETRY_MAX_MS = 30_000;

/** A connection, however long the hub takes to be there and to accept these credentials; null once `stopped()`. */
async function persistently(f: { auth: FleetAuth; node: string }, log: DeviceLog, stopped: () => boolean): Promise<NatsConnection | null> {
  for (let wait = 1_000; !stopped(); wait = Math.min(wait * 2, RETRY_MAX_MS)) {
    try {
      return await connectForever(f.auth, `imagectl-agent ${f.node}`);
    } catch (err) {
      log.error({ error: (err as Error).message, retryInMs: wait }, 'fleet: cannot connect to the hub; the last applied set stays in force');
      await new Promise((r) => setTimeout(r, wait).unref());
    }
  }
  return null;
}

export async function startDevice(f: { auth: FleetAuth; node: string }, deps: ApiDeps, log: DeviceLog, socket?: string): Promise<FleetDevice> {
  connectOptions(f.auth, f.node); // bad flags or unreadable files stop the start, before anything runs
  let device: FleetDevice | null = null;
  const connection = persistently(f, log, () => device?.stopping ?? false).then((nc) => nc ?? Promise.reject(new Error('the agent stopped before it reached the hub')));
  device = new FleetDevice({ node: f.node, connection, deps, log, socket });
  await device.start();
  return device;
}
