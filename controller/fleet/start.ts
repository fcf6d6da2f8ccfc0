/** The agent's one entry into the fleet: connect (for ever, in the background) and follow the hub. */
import type { ApiDeps } from '../service/deps.js';
import { connectForever, connectOptions, type FleetAuth } from './connect.js';
import { FleetDevice, type DeviceLog } from './device.js';

export async function startDevice(f: { auth: FleetAuth; node: string }, deps: ApiDeps, log: DeviceLog, socket?: string): Promise<FleetDevice> {
  connectOptions(f.auth, f.node); // bad flags or unreadable files stop the start, before anything runs
  const connection = connectForever(f.auth, `imagectl-agent ${f.node}`);
  const device = new FleetDevice({ node: f.node, connection, deps, log, socket });
  await device.start();
  return device;
}
