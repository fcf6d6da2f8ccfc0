/**
 * What users and the world do to the soak's device, on the real engine, registry and agent: each
 * operation of the schedule, carried out (or skipped when what it needs is not there, or failed
 * when the engine, the registry or the disk is away: both are counted). The schedule's own image
 * deletes are told to the oracle, which is how it tells them from the agent's.
 */
import type Dockerode from 'dockerode';
import { call } from '../fault/helpers/api.js';
import type { AgentProcess } from '../helpers/agent.js';
import { buildFixture, followProgress, FIXTURE_CMD, pushFixture } from '../stack/fixtures.js';
import type { EngineOracle } from './oracle.js';
import { manifestOf, policyFamilies, type PolicyHistory } from './policies.js';
import type { Op, OpKind } from './schedule.js';

/** How long a container must have existed, with agent and engine up, before main is sure a pass listed it. */
export const LISTED_AFTER_MS = 4_000;
const DURATIONS_S = [2, 3, 5, 8];

export interface Counts {
  done: Partial<Record<OpKind, number>>;
  skipped: Partial<Record<OpKind, number>>;
  failed: Partial<Record<OpKind, number>>;
  errors: string[];
}

/** Up or down since when (agent, engine). */
export class Uptime {
  up = true;
  since = Date.now();
  set(up: boolean): void {
    if (up !== this.up) [this.up, this.since] = [up, Date.now()];
  }
  upFor(ms: number): boolean {
    return this.up && Date.now() - this.since >= ms;
  }
}

const pickOf = <T>(list: readonly T[], x: number): T | undefined => list[Math.floor(x * list.length)];
const add = (m: Partial<Record<OpKind, number>>, k: OpKind) => (m[k] = (m[k] ?? 0) + 1);

export class SoakActions {
  readonly counts: Counts = { done: {}, skipped: {}, failed: {}, errors: [] };
  /** every operation: time, kind, outcome, what it acted on */
  readonly trace: string[] = [];
  private detail = '';
  readonly agentUp = new Uptime();
  readonly engineUp = new Uptime();
  /** containers the schedule made, by ID */
  private readonly containers = new Map<string, number>();
  private versions = 3;
  private serial = 0;
  /** API calls hold this; a SIGKILL of the agent waits for it (so that an apply is either in force or not) */
  apiLock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly docker: Dockerode,
    private readonly registry: string,
    private readonly agent: AgentProcess,
    private readonly oracle: EngineOracle,
    private readonly policies: PolicyHistory,
    private readonly unseenUses: boolean,
  ) {}

  async run(op: Op): Promise<void> {
    const at = new Date().toISOString();
    this.detail = '';
    let outcome: string;
    try {
      const r = await Promise.race([this.exec(op), new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), 20_000))]);
      if (r === 'timeout') throw new Error('timed out after 20 s');
      add(r === 'skipped' ? this.counts.skipped : this.counts.done, op.kind);
      outcome = r;
    } catch (err) {
      add(this.counts.failed, op.kind);
      outcome = `failed: ${(err as Error).message?.split('\n')[0]}`;
      if (this.counts.errors.length < 50) this.counts.errors.push(`${op.kind}: ${outcome}`);
    }
    this.trace.push(`${at} ${op.kind} ${this.detail} ${outcome}`);
  }

  private exec(op: Op): Promise<'done' | 'skipped'> {
    switch (op.kind) {
      case 'run': return this.container(op, true);
      case 'create': return this.container(op, false);
      case 'short': return this.shortLived(op);
      case 'rm': return this.remove(op);
      case 'tag': return this.tag(op);
      case 'rmi': return this.rmi(op);
      case 'push': return this.push(op);
      case 'pull': return this.pull(op);
      case 'agent-pull': return this.api(() => this.agentPull(op));
      case 'import': return this.importImage(op);
      case 'apply': return this.api(() => this.apply(op));
      case 'delete-policy': return this.api(() => this.deletePolicy(op));
    }
  }

  /** The soak's images the engine holds (anything under soak/). */
  private async images(): Promise<{ id: string; tags: string[] }[]> {
    const list = await this.docker.listImages();
    return list.filter((i) => (i.RepoTags ?? []).some((t) => t.includes('soak/'))).map((i) => ({ id: i.Id, tags: (i.RepoTags ?? []).filter((t) => !t.startsWith('<none>')) }));
  }

  /** An image to use, by one of its tags or by ID. */
  private async someImage(op: Op): Promise<string | null> {
    const img = pickOf(await this.images(), op.pick);
    if (!img) return null;
    const ref = op.param < 0.3 || !img.tags.length ? img.id : pickOf(img.tags, op.param)!;
    this.detail = ref === img.id ? img.id.slice(7, 19) : `${ref} (${img.id.slice(7, 19)})`;
    return ref;
  }

  private async container(op: Op, running: boolean): Promise<'done' | 'skipped'> {
    const image = await this.someImage(op);
    if (!image) return 'skipped';
    const name = `soak-${this.serial++}`;
    this.detail += ` as ${name}`;
    const c = await this.docker.createContainer({ Image: image, name, Cmd: FIXTURE_CMD, HostConfig: { NetworkMode: 'none', Init: true } });
    this.containers.set(c.id, Date.now());
    if (running) await c.start();
    return 'done';
  }

  /**
   * A container that lives tens of milliseconds: created and removed at once, or (`docker run --rm
   * IMAGE true`) started, exited and removed by the engine.
   */
  private async shortLived(op: Op): Promise<'done' | 'skipped'> {
    const image = await this.someImage(op);
    if (!image) return 'skipped';
    const name = `soak-short-${this.serial++}`;
    const started = op.pick < 0.5;
    this.detail += ` as ${name}${started ? ' (run --rm)' : ' (create, rm)'}`;
    const c = await this.docker.createContainer({ Image: image, name, Cmd: ['/bin/busybox', 'true'], HostConfig: { NetworkMode: 'none', AutoRemove: started } });
    if (started) await c.start();
    else await c.remove({ force: true });
    return 'done';
  }

  private async remove(op: Op): Promise<'done' | 'skipped'> {
    const now = Date.now();
    // main sees a container only once a pass listed it: it must have lived a while with the agent and the engine up
    const listed = this.agentUp.upFor(LISTED_AFTER_MS) && this.engineUp.upFor(LISTED_AFTER_MS);
    const ids = [...this.containers].filter(([, at]) => this.unseenUses || (listed && now - at >= LISTED_AFTER_MS)).map(([id]) => id);
    const id = pickOf(ids, op.pick);
    if (!id) return 'skipped';
    this.detail = id.slice(0, 12);
    await this.docker.getContainer(id).remove({ force: true }).catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
    this.containers.delete(id);
    return 'done';
  }

  private async tag(op: Op): Promise<'done' | 'skipped'> {
    const img = pickOf(await this.images(), op.pick);
    if (!img) return 'skipped';
    const tag = String(1 + Math.floor(op.param * 5));
    this.detail = `${img.id.slice(7, 19)} as soak/tmp:${tag}`;
    await this.docker.getImage(img.id).tag({ repo: 'soak/tmp', tag });
    return 'done';
  }

  /** Someone else's `docker rmi REF` (never the kept repositories): an untag, or a delete the oracle is told about. */
  private async rmi(op: Op): Promise<'done' | 'skipped'> {
    const refs = (await this.images()).flatMap((i) => i.tags).filter((t) => /soak\/(tmp|app|local):/.test(t));
    const ref = pickOf(refs, op.pick);
    if (!ref) return 'skipped';
    this.detail = ref;
    await this.deleteRef(ref);
    return 'done';
  }

  private async deleteRef(ref: string): Promise<void> {
    const from = Date.now();
    const done = this.oracle.ownBegin(from);
    try {
      const out = (await this.docker.getImage(ref).remove()) as { Deleted?: string }[];
      const to = Date.now();
      for (const d of out ?? []) {
        if (!d.Deleted) continue;
        this.oracle.ownDelete(d.Deleted, from, to);
        this.detail += ` deleted ${d.Deleted.slice(7, 19)}`;
      }
    } catch (err) {
      // 409: a container uses it (the engine refuses, as it should); 404: gone meanwhile
      if (![404, 409].includes((err as { statusCode?: number }).statusCode ?? 0)) throw err;
    } finally {
      done();
    }
  }

  /** A new version pushed to the registry; mostly removed locally again, so that a later pull fetches it. */
  private async push(op: Op): Promise<'done'> {
    const ref = `${this.registry}/soak/app:v${++this.versions}`;
    this.detail = ref;
    await buildFixture(this.docker, ref);
    await pushFixture(this.docker, ref);
    if (op.param < 0.6) await this.deleteRef(ref);
    return 'done';
  }

  private versionRef(op: Op): string {
    return `${this.registry}/soak/app:v${1 + Math.floor(op.pick * this.versions)}`;
  }

  private async pull(op: Op): Promise<'done'> {
    this.detail = this.versionRef(op);
    await followProgress(this.docker, await this.docker.pull(this.versionRef(op)));
    return 'done';
  }

  /** Serialized with the agent's SIGKILL (apiLock), skipped while the agent is away. */
  private api(fn: () => Promise<'done' | 'skipped'>): Promise<'done' | 'skipped'> {
    if (!this.agentUp.up) return Promise.resolve('skipped');
    const p = this.apiLock.then(fn);
    this.apiLock = p.catch(() => undefined);
    return p;
  }

  private async agentPull(op: Op): Promise<'done'> {
    this.detail = this.versionRef(op);
    const r = await call({ socketPath: this.agent.socket }, 'POST', '/v1/pull', JSON.stringify({ ref: this.versionRef(op) }));
    const last = r.text.trim().split('\n').at(-1) ?? '';
    if (r.status !== 200 || !last.includes('"done"')) throw new Error(`imagectl pull: ${r.status} ${last.slice(0, 200)}`);
    return 'done';
  }

  private async importImage(op: Op): Promise<'done'> {
    this.detail = `soak/local:${1 + Math.floor(op.param * 4)}`;
    await buildFixture(this.docker, this.detail);
    return 'done';
  }

  private async apply(op: Op): Promise<'done'> {
    const family = pickOf(policyFamilies(this.registry), op.pick)!;
    const p = family(pickOf(DURATIONS_S, op.param)! * 1000);
    this.detail = `${p.name} ${JSON.stringify(p.rules.map((r) => [r.imageName, r.deleteAfterMs]))}${p.keep.length ? ` keep ${p.keep.join(',')}` : ''}`;
    const before = this.policies.current();
    this.policies.applied(p, Date.now());
    const r = await call({ socketPath: this.agent.socket }, 'POST', '/v1/apply', JSON.stringify({ objects: [manifestOf(p)] })).catch((err: Error) => ({ status: 0, text: err.message }));
    if (r.status === 200) return 'done';
    this.policies.setTo(before, Date.now());
    throw new Error(`apply: ${r.status} ${r.text.slice(0, 200)}`);
  }

  private async deletePolicy(op: Op): Promise<'done' | 'skipped'> {
    const name = pickOf([...this.policies.current().keys()], op.pick);
    if (!name) return 'skipped';
    this.detail = name;
    const undo = this.policies.deleting(name, Date.now());
    const r = await call({ socketPath: this.agent.socket }, 'DELETE', `/v1/objects/ImagePolicy/${name}`).catch((err: Error) => ({ status: 0, text: err.message }));
    if (r.status === 200) return 'done';
    undo(Date.now());
    throw new Error(`delete policy: ${r.status} ${r.text.slice(0, 200)}`);
  }
}
