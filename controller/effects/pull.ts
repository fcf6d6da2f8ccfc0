/**
 * Pull, digest resolution and archive loading: the executors that bring images in. Every item of
 * the engine's progress stream is checked for `error`: the engine answers 200 once it has started
 * streaming, and reports a failure after that only as an item of the stream.
 */
import { createReadStream } from 'node:fs';
import { errorText, statusOf } from '../engine/docker.js';
import type { EngineClient } from '../engine/client.js';
import { LineSplitter } from '../../crd/api/lines.js';
import type { ProgressItem } from '../../crd/api/progress.js';

export type { ProgressItem } from '../../crd/api/progress.js';


export class PullError extends Error {}

/** Read an engine progress stream to its end; throw on the first item that carries an error. */
export function consumeProgress(stream: NodeJS.ReadableStream, onItem?: (i: ProgressItem) => void): Promise<ProgressItem[]> {
  return new Promise((resolve, reject) => {
    const items: ProgressItem[] = [];
    const lines = new LineSplitter();
    let failed: Error | null = null;
    const take = (item: ProgressItem) => {
      items.push(item);
      if ((item.error || item.errorDetail) && !failed) failed = new PullError(item.error ?? item.errorDetail?.message ?? 'unknown error');
      onItem?.(item);
    };
    stream.on('data', (chunk: string | Buffer) => {
      for (const line of lines.push(chunk)) {
        let item: ProgressItem;
        try {
          item = JSON.parse(line) as ProgressItem;
        } catch {
          continue;
        }
        take(item);
      }
    });
    stream.on('end', () => {
      const last = lines.end();
      if (last !== null) {
        let item: ProgressItem | null = null;
        try {
          item = JSON.parse(last) as ProgressItem;
        } catch {
          // a partial line at the end: the stream was cut
          failed ??= new PullError('the progress stream ended in the middle of a message');
        }
        if (item) take(item);
      }
      if (failed) reject(failed);
      else resolve(items);
    });
    stream.on('error', (err) => reject(new PullError(errorText(err))));
    stream.on('close', () => {
      // a connection cut without 'end' (engine or registry died)
      setImmediate(() => reject(failed ?? new PullError('the progress stream was cut before it ended')));
    });
  });
}

/** Pull `ref` and return the image ID. */
export async function pullImage(docker: EngineClient, ref: string, onItem?: (i: ProgressItem) => void): Promise<string> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(ref);
  } catch (err) {
    throw new PullError(errorText(err));
  }
  await consumeProgress(stream, onItem);
  const info = await docker.inspectImage(ref);
  return info.Id;
}

/** The registry's manifest digest for `ref`, without pulling (GET /distribution/{name}/json). */
export async function remoteDigest(docker: EngineClient, ref: string): Promise<string> {
  try {
    const info = await docker.distribution(ref);
    return info.Descriptor.digest;
  } catch (err) {
    throw new PullError(`cannot resolve ${ref} in its registry: ${errorText(err)}${statusOf(err) ? ` (HTTP ${statusOf(err)})` : ''}`);
  }
}

/** The local image for `ref`, or null. */
export async function localImage(docker: EngineClient, ref: string): Promise<{ id: string; repoDigests: string[]; tags: string[] } | null> {
  try {
    const i = await docker.inspectImage(ref);
    return { id: i.Id, repoDigests: i.RepoDigests ?? [], tags: i.RepoTags ?? [] };
  } catch (err) {
    if (statusOf(err) === 404) return null;
    throw err;
  }
}

/** `docker load` a tarball; returns the loaded references and image IDs as the engine reports them. */
export async function loadArchive(docker: EngineClient, file: string): Promise<string[]> {
  const stream = await docker.loadImage(createReadStream(file), { quiet: true });
  const items = await consumeProgress(stream);
  const loaded: string[] = [];
  for (const i of items) {
    const m = /Loaded image(?: ID)?: (\S+)/.exec(i.stream ?? i.status ?? '');
    if (m) loaded.push(m[1]!);
  }
  if (loaded.length === 0) throw new PullError(`the engine loaded nothing from ${file}`);
  return loaded;
}
