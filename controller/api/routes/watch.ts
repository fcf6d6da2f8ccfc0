/**
 * The change feed behind `get -w` and `wait`: `GET /v1/watch?kind=images|workloads|imagepolicies`
 * (`&all=true`: images include removed ones) streams newline-delimited JSON events. First the
 * current objects, each as `{"type":"ADDED","object":…}`, then `{"type":"SYNCED"}`, then one
 * `ADDED`, `MODIFIED` or `DELETED` event per object a commit of the store changed, in commit order.
 * Nothing polls: the store tells the feed what each commit wrote (its `commit` event).
 *
 * Backpressure: the initial list goes out at the reader's pace; after it, a follower whose unread
 * output passes MAX_PENDING_BYTES is dropped (its connection closed) rather than buffered without
 * bound; it can watch again. A kind is one entry of FEEDS (a fleet's nodes would be another).
 */
import type { ServerResponse } from 'node:http';
import type { Commit, StoredObject } from '../../store/store.js';
import type { KindName } from '../../../crd/api/object.js';
import type { ApiDeps } from '../../service/deps.js';
import { view } from '../../service/apply.js';
import { imageItem, imageLabels } from '../../service/views.js';
import { HttpError, type Router } from '../http.js';
import { drained } from './images.js';
import { workloadItem } from './workloads.js';

/** Unread bytes a follower may hold once it is live; past this it is dropped. */
export const MAX_PENDING_BYTES = 1024 * 1024;
/** Commits that may queue while the initial list is still being read. */
const MAX_QUEUED_COMMITS = 10_000;

/** What changed: the object, or its key with `deleted` when it is gone. */
interface Change {
  key: string;
  object: unknown;
  deleted?: boolean;
}

interface Feed {
  /** the current objects, keyed */
  list(): Promise<Change[]>;
  /** what one commit changed; `last(key)` is the object as this follower last saw it */
  changes(c: Commit, last: (key: string) => unknown): Change[];
}

const objectKey = (o: { kind: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`;

function objectFeed(d: ApiDeps, kind: KindName, item: (o: StoredObject) => unknown): Feed {
  return {
    list: async () => (await d.store.listObjects(kind)).map((o) => ({ key: objectKey(o), object: item(o) })),
    changes(c, last) {
      const out: Change[] = [];
      for (const o of c.putObjects ?? []) if (o.kind === kind) out.push({ key: objectKey(o), object: item(o) });
      for (const o of c.deleteObjects ?? []) if (o.kind === kind) out.push({ key: `${kind}/${o.name}`, object: last(`${kind}/${o.name}`), deleted: true });
      // a Workload's status is written apart from the object: merge it into the object last seen
      for (const [key, status] of c.putStatuses ?? []) {
        const seen = key.startsWith(`${kind}/`) ? (last(key) as object | undefined) : undefined;
        if (seen && !c.deleteObjects?.some((o) => `${o.kind}/${o.name}` === key)) out.push({ key, object: { ...seen, status } });
      }
      return out;
    },
  };
}

function imageFeed(d: ApiDeps, all: boolean): Feed {
  return {
    list: async () => {
      const { images, lastObservation } = d.reconciler.snapshot();
      const labels = imageLabels(lastObservation);
      return [...images.values()].filter((p) => all || p.state !== 'removed').map((p) => ({ key: p.context.id, object: imageItem(p, labels.get(p.context.id)) }));
    },
    changes(c) {
      const labels = imageLabels(d.reconciler.snapshot().lastObservation);
      return [...(c.putImages ?? [])].map(([id, p]) => ({ key: id, object: imageItem(p, labels.get(id)), deleted: !all && p.state === 'removed' }));
    },
  };
}

/** The feeds, by the `kind` parameter. */
const FEEDS: Record<string, (d: ApiDeps, url: URL) => Feed> = {
  images: (d, url) => imageFeed(d, url.searchParams.get('all') === 'true'),
  imagepolicies: (d) => objectFeed(d, 'ImagePolicy', (o) => view(o, d)),
  workloads: (d) => objectFeed(d, 'Workload', (o) => workloadItem(o, d)),
};

/** One follower: what it was sent (to tell ADDED from MODIFIED and to skip repeats), and its socket. */
class Follower {
  private readonly sent = new Map<string, string>();
  constructor(private readonly res: ServerResponse) {}

  get gone(): boolean {
    return this.res.destroyed;
  }

  last(key: string): unknown {
    const s = this.sent.get(key);
    return s === undefined ? undefined : JSON.parse(s);
  }

  /** Write the event for one change; false when the socket did not take it all at once. */
  send(ch: Change): boolean {
    const before = this.sent.get(ch.key);
    if (ch.deleted) {
      if (before === undefined) return true;
      this.sent.delete(ch.key);
      return this.write({ type: 'DELETED', object: ch.object ?? JSON.parse(before) });
    }
    const json = JSON.stringify(ch.object);
    if (json === before) return true;
    this.sent.set(ch.key, json);
    return this.write({ type: before === undefined ? 'ADDED' : 'MODIFIED', object: ch.object });
  }

  write(event: object): boolean {
    return this.res.write(`${JSON.stringify(event)}\n`);
  }

  /** Drop a live follower that does not read. */
  checkPending(): void {
    if (this.res.writableLength > MAX_PENDING_BYTES) this.res.destroy();
  }
}

async function follow(d: ApiDeps, feed: Feed, res: ServerResponse): Promise<void> {
  const f = new Follower(res);
  let queue: Commit[] | null = [];
  const onCommit = (c: Commit) => {
    if (f.gone) return;
    if (queue) {
      queue.push(c);
      if (queue.length > MAX_QUEUED_COMMITS) res.destroy();
      return;
    }
    try {
      for (const ch of feed.changes(c, (k) => f.last(k))) f.send(ch);
      f.checkPending();
    } catch {
      res.destroy(); // this follower cannot be served correctly any more: it watches again
    }
  };
  d.store.on('commit', onCommit);
  const closed = new Promise<void>((resolve) => res.on('close', resolve));
  try {
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    for (const ch of await feed.list()) {
      if (f.gone) return;
      if (!f.send(ch)) await drained(res);
    }
    f.write({ type: 'SYNCED' });
    while (queue.length > 0 && !f.gone) {
      const c = queue.shift()!;
      for (const ch of feed.changes(c, (k) => f.last(k))) if (!f.send(ch)) await drained(res);
    }
    queue = null;
    await closed;
  } finally {
    d.store.off('commit', onCommit);
  }
}

export function watchRoutes(r: Router, d: ApiDeps): void {
  r.on('GET', '/v1/watch', async (_q, res, _p, url) => {
    const kind = url.searchParams.get('kind') ?? '';
    const make = FEEDS[kind];
    if (!make) throw new HttpError(400, `cannot watch ${JSON.stringify(kind)}: use kind=${Object.keys(FEEDS).join('|')}`);
    await follow(d, make(d, url), res);
  });
}
