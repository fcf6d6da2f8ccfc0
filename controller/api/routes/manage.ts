/**
 * Managed images, the Zun case: `imagectl pull`, `imagectl pull --archive` and `imagectl rmi`. The
 * routes check and answer; the pulls, loads and removals go through the reconciler, on the same
 * executors and commits as its own (controller/reconcile/commands.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorText } from '../../engine/docker.js';
import { ArchiveError } from '../../effects/archives.js';
import { parseReference } from '../../../crd/fields/reference.js';
import { escapeControls, hasControls } from '../../../crd/api/text.js';
import type { RmiRefusal } from '../../reconcile/reconciler.js';
import type { ApiDeps } from '../../service/deps.js';
import { imageItem, oneImage } from '../../service/views.js';
import { actorOf, HttpError, noteCall, readJson, type Router } from '../http.js';
import { Stream } from '../stream.js';

/** The HTTP status of each reason `rmi` did not remove. */
const RMI_STATUS: Record<RmiRefusal, number> = {
  'safe-mode': 503, 'already-removed': 404, 'not-managed': 409, 'in-use': 409, 'needed-by-workload': 409, kept: 409,
  'engine-in-use': 409, 'engine-refused': 409, failed: 500,
};

/** The HTTP status of a refused load, by its reason (the rest: 422). */
const LOAD_STATUS: Record<string, number> = { ArchiveTooLarge: 413, ArchiveExpandsTooMuch: 413, InsufficientDisk: 507, ArchiveTagProtected: 409 };

async function refOf(req: IncomingMessage): Promise<string> {
  const body = (await readJson(req)) as { ref?: unknown };
  if (typeof body?.ref !== 'string') throw new HttpError(400, 'body must be {"ref": "name:tag"}');
  return body.ref;
}

/** A value of a request, quoted and escaped for the audit and for messages (no raw control character). */
const quoted = (s: string) => escapeControls(JSON.stringify(s.length > 300 ? `${s.slice(0, 300)}…` : s));

/** A reference that is checked before it goes into any record or reaches the engine. */
function validRef(req: IncomingMessage, verb: string, ref: string): void {
  const parsed = parseReference(ref);
  if (parsed.ok) return;
  noteCall(req, { reason: `${verb} refused: invalid image reference ${quoted(ref)}` });
  throw new HttpError(400, `invalid image reference ${quoted(ref)}: ${parsed.error}`);
}

/** Streams the pull's progress, one JSON line per engine item, then `done` or `error`. */
async function pull(d: ApiDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const ref = await refOf(req);
  validRef(req, 'pull', ref);
  noteCall(req, { reason: `pull ${ref}` });
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  // progress is lossy for a reader that falls behind; the result always goes out
  const s = new Stream(res);
  try {
    const { id, image } = await d.reconciler.pull(ref, (item) => s.progress(`${JSON.stringify({ progress: item })}\n`));
    noteCall(req, { image: id, tags: image?.context.tags ?? [ref], ok: true, reason: `pull ${ref}: ${id}` });
    s.end(`${JSON.stringify({ done: true, imageId: id, image: image ? imageItem(image) : null })}\n`);
  } catch (err) {
    noteCall(req, { ok: false, reason: `pull ${ref} failed: ${errorText(err)}` });
    s.end(`${JSON.stringify({ error: `pull of ${ref} failed: ${errorText(err)}` })}\n`);
  }
}

async function load(d: ApiDeps, req: IncomingMessage, url: URL) {
  const digest = url.searchParams.get('digest') ?? undefined;
  if (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest)) throw new HttpError(400, 'digest must be sha256:<64 hex digits>');
  const name = url.searchParams.get('name') ?? 'stdin';
  if (name.length > 1024 || name === '' || hasControls(name)) {
    noteCall(req, { reason: `load refused: invalid archive name ${quoted(name)}` });
    throw new HttpError(400, `invalid archive name ${quoted(name)}: at most 1024 characters, none of them a control character`);
  }
  noteCall(req, { reason: `load ${name}` });
  let loaded: Awaited<ReturnType<ApiDeps['reconciler']['load']>>;
  const length = Number(req.headers['content-length']);
  try {
    loaded = await d.reconciler.load(req, digest, name, Number.isSafeInteger(length) && length >= 0 ? length : undefined);
  } catch (err) {
    const status = err instanceof ArchiveError ? LOAD_STATUS[err.reason] ?? 422 : 422;
    throw new HttpError(status, errorText(err));
  }
  const { refs, ids } = loaded;
  noteCall(req, { image: ids.length === 1 ? ids[0]! : null, tags: refs, reason: `load ${name}: ${refs.join(', ')} (${loaded.digest})` });
  return { loaded: refs, images: ids, archiveDigest: loaded.digest };
}

async function rmi(d: ApiDeps, req: IncomingMessage) {
  const ref = await refOf(req);
  noteCall(req, { reason: `rmi ${ref.slice(0, 300)}` });
  const img = oneImage(d.reconciler.snapshot().images, ref);
  noteCall(req, { image: img.context.id, tags: img.context.tags });
  const r = await d.reconciler.rmi(img.context.id, ref, actorOf(req));
  if (!r.ok) throw new HttpError(RMI_STATUS[r.refusal], r.message);
  return { image: r.image, removed: r.removed, residual: r.residual };
}

export function manageRoutes(r: Router, d: ApiDeps): void {
  r.on('POST', '/v1/pull', (req, res) => pull(d, req, res));
  r.on('POST', '/v1/load', (req, _res, _p, url) => load(d, req, url));
  r.on('POST', '/v1/rmi', (req) => rmi(d, req));
}
