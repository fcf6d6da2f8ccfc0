/**
 * Hostile archives for `imagectl pull --archive` (POST /v1/load), on a real engine (security
 * issue, findings 8 and 9). Before: no cap and no free-space check (3 GB written into the cache
 * before any check), a 9 MB gzip-compressed layer expanded to 2.1 GB in the engine, an archive
 * whose RepoTags named a kept image took the tag (the kept image became `<none>` and was removed
 * 5 s later), and an archive of an image already present made it agent-downloaded (then `rmi`
 * removed it).
 */
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentProcess } from '../helpers/agent.js';
import { stackInfo } from '../stack/context.js';
import { buildFixture, dockerFor, emptyEngine, runContainer } from '../stack/fixtures.js';
import { imageArchive } from './helpers/archive.js';
import { call, type Reply } from './helpers/api.js';
import { Tmpfs } from './helpers/tmpfs.js';

const stack = stackInfo();
let docker: Dockerode;
let agent: AgentProcess;
let fs: Tmpfs | undefined;
const work = mkdtempSync(join(tmpdir(), 'ictl-hostile-archive-'));

const load = (body: Buffer, name = 'test.tar'): Promise<Reply> => call({ socketPath: agent.socket }, 'POST', `/v1/load?name=${name}`, body, { 'content-type': 'application/x-tar' });
/** The same upload without a Content-Length (chunked): the cap must hold while it streams. */
function loadChunked(body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: agent.socket, method: 'POST', path: '/v1/load?name=chunked', headers: { 'transfer-encoding': 'chunked' } }, (r) => {
      r.resume();
      resolve(r.statusCode ?? 0);
    });
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 65536) req.write(body.subarray(i, i + 65536));
    req.end();
  });
}
const cached = () => {
  try {
    return readdirSync(join(agent.stateDir, 'cache', 'archives'));
  } catch {
    return [];
  }
};
const tags = async () => (await docker.listImages()).flatMap((i) => i.RepoTags ?? []);
const apply = (o: object) => call({ socketPath: agent.socket }, 'POST', '/v1/apply', JSON.stringify({ objects: [o] }));

beforeAll(() => {
  docker = dockerFor(stack);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(async () => {
  await emptyEngine(docker);
});
afterEach(async () => {
  await agent?.dispose();
  fs?.dispose();
  fs = undefined;
});

describe('the size of what a load writes and expands to (finding 8)', () => {
  it('an archive over --max-archive-bytes gets 413, declared or streamed, and nothing is written or loaded', async () => {
    agent = new AgentProcess(stack, AgentProcess.tempStateDir(), ['--max-archive-bytes', '1Mi']);
    await agent.start();
    const { archive } = imageArchive({ tags: ['ha/big:1'], size: 2 * 1024 * 1024 });
    const r = await load(archive);
    expect(r.status).toBe(413);
    expect(r.json.message).toBe('the archive is larger than 1048576 bytes (agent flag --max-archive-bytes); nothing was loaded');
    expect(await loadChunked(archive)).toBe(413);
    expect(cached()).toEqual([]);
    expect(await tags()).not.toContain('ha/big:1');
    // one under the cap loads (the archives made here are ones the engine takes)
    const { archive: small, id } = imageArchive({ tags: ['ha/small:1'], size: 1000 });
    const ok = await load(small);
    expect(ok.status).toBe(200);
    expect(ok.json.images).toEqual([id]);
  });

  it('a small gzip bomb of a layer is refused before the engine sees it', async () => {
    agent = new AgentProcess(stack, AgentProcess.tempStateDir(), ['--max-archive-expanded-bytes', '16Mi']);
    await agent.start();
    const { archive } = imageArchive({ tags: ['ha/bomb:1'], size: 64 * 1024 * 1024, gzipLayer: true });
    expect(archive.length).toBeLessThan(200_000);
    const r = await load(archive);
    expect(r.status).toBe(413);
    expect(r.json.message).toContain('the archive expands to more than 16777216 bytes');
    expect(cached()).toEqual([]);
    expect(await tags()).not.toContain('ha/bomb:1');
    // a gzip layer within the bound loads
    const { archive: fine } = imageArchive({ tags: ['ha/fine:1'], size: 1024 * 1024, gzipLayer: true });
    expect((await load(fine)).status).toBe(200);
    expect(await tags()).toContain('ha/fine:1');
  });

  it('no room in the state directory: 507 before anything is written', async () => {
    fs = new Tmpfs(16 * 1024);
    agent = new AgentProcess(stack, join(fs.dir, 'state'));
    await agent.start();
    const { archive } = imageArchive({ tags: ['ha/huge:1'], size: 20 * 1024 * 1024 });
    const r = await load(archive);
    expect(r.status).toBe(507);
    expect(r.json.message).toMatch(/^not enough free space for the archive in .*cache\/archives: \d+ bytes needed, \d+ available/);
    expect(cached()).toEqual([]);
    expect(await tags()).not.toContain('ha/huge:1');
  });
});

describe('what a load may change (finding 9)', () => {
  it('never moves a tag off a kept or used image, naming why; an unprotected tag moves as docker load moves it', async () => {
    const kept = await buildFixture(docker, 'ha/kept:1');
    const used = await buildFixture(docker, 'ha/used:1');
    const free = await buildFixture(docker, 'ha/free:1');
    await runContainer(docker, 'ha/used:1', { name: 'ha-user' });
    agent = new AgentProcess(stack, AgentProcess.tempStateDir());
    await agent.start();
    expect((await apply({ apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy', metadata: { name: 'keeper' }, spec: { removal: [{ imageName: 'ha/*:*', deleteAfter: '2s' }], keep: ['ha/kept:*'] } })).status).toBe(200);
    const steal = await load(imageArchive({ tags: ['ha/kept:1'] }).archive);
    expect(steal.status).toBe(409);
    expect(steal.json.message).toBe(`the archive's tag ha/kept:1 names image ${kept} here, which is protected (kept by keeper/keep[0] (ha/kept:*)): loading would move the tag off it; nothing was loaded`);
    const inUse = await load(imageArchive({ tags: ['ha/used:1'] }).archive);
    expect(inUse.status).toBe(409);
    expect(inUse.json.message).toContain(`names image ${used} here, which is protected (in use by ha-user)`);
    expect((await docker.getImage('ha/kept:1').inspect()).Id).toBe(kept);
    expect((await docker.getImage('ha/used:1').inspect()).Id).toBe(used);
    expect(cached()).toEqual([]);
    const moved = imageArchive({ tags: ['ha/free:1'] });
    expect((await load(moved.archive)).status).toBe(200);
    expect((await docker.getImage('ha/free:1').inspect()).Id).toBe(moved.id);
    expect(free).not.toBe(moved.id);
    // the kept image is still there after its rule's 2 s
    await new Promise((r) => setTimeout(r, 3500));
    expect((await docker.getImage(kept).inspect()).RepoTags).toEqual(['ha/kept:1']);
  });

  it('a load of an image that is already present does not make it agent-downloaded', async () => {
    const present = await buildFixture(docker, 'ha/present:1');
    const file = join(work, 'present.tar');
    await pipeline(await docker.getImage('ha/present:1').get(), createWriteStream(file));
    agent = new AgentProcess(stack, AgentProcess.tempStateDir());
    await agent.start();
    const r = await load(readFileSync(file));
    expect(r.status).toBe(200);
    expect(r.json.images).toEqual([present]);
    const img = await agent.json(['get', 'images', 'ha/present:1', '-o', 'json']);
    expect(img.status.agentDownloaded).toBe(false);
    expect(cached()).toEqual([]); // nobody's residual
    const rmi = await agent.cli(['rmi', 'ha/present:1']);
    expect(rmi.code).toBe(1);
    expect(rmi.stderr).toContain('is not managed by imagectl');
    expect((await docker.getImage(present).inspect()).Id).toBe(present);
  });
});
