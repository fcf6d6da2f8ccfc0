/**
 * The fleet's metrics (SPEC §9), on the agent's registry when it runs with `--fleet`: whether the
 * device is connected to the hub, the `_commit` revision it applied, whether it refused the latest
 * set, its audit records not yet acknowledged by the hub's stream, and the status writes it sent.
 * All read from the device when scraped.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** What the fleet metrics read of the device (controller/fleet/device.ts). */
export interface FleetMetricsSource {
  readonly connected: boolean;
  readonly applied: { revision: number | null; error: string | null };
  /** audit records made but not yet acknowledged by the hub (counted up to a cap) */
  unsentAudit(): Promise<number>;
  /** status writes sent to `imagectl-nodes` since the agent started */
  readonly statusWrites: number;
}

export function registerFleetMetrics(registry: Registry, src: FleetMetricsSource): void {
  const registers = [registry];
  new Gauge({ name: 'imagectl_fleet_connected', help: '1 while the device is connected to the fleet\'s hub', registers, collect() { this.set(src.connected ? 1 : 0); } });
  new Gauge({ name: 'imagectl_fleet_applied_revision', help: 'The revision of the fleet _commit this device applied (0 before the first)', registers, collect() { this.set(src.applied.revision ?? 0); } });
  new Gauge({ name: 'imagectl_fleet_set_refused', help: '1 while the latest fleet set is refused (it does not validate or is incomplete); the last good set stays applied', registers, collect() { this.set(src.applied.error ? 1 : 0); } });
  new Gauge({
    name: 'imagectl_fleet_audit_unsent_records', help: 'Audit records the hub has not acknowledged yet (kept in the device store, sent when the hub is reachable; counted up to 10000)', registers,
    async collect() { this.set(await src.unsentAudit()); },
  });
  new Counter({
    name: 'imagectl_fleet_status_writes_total', help: 'Status writes this device sent to the imagectl-nodes bucket (on change and on the heartbeat)', registers,
    collect() {
      this.reset();
      this.inc(src.statusWrites);
    },
  });
}
