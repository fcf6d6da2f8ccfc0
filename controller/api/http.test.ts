import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError, noteCall, readJson, Router, type CallRecord } from './http.js';

const dirs: string[] = [];
const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

async function serve(r: Router): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ictl-http-'));
  dirs.push(dir);
  const socketPath = join(dir, 's.sock');
  const s = http.createServer((req, res) => void r.handle(req, res, 'uid:7'));
  servers.push(s);
  await new Promise<void>((res) => s.listen(socketPath, res));
  return socketPath;
}

function send(socketPath: string, method: string, path: string, body?: string | Buffer): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path, agent: false, headers: body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {} }, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: t ? JSON.parse(t) : undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('Router', () => {
  it('answers 404, 405, 400, 413, and reports every non-GET call with its actor and outcome', async () => {
    const calls: CallRecord[] = [];
    const r = new Router({ maxBodyBytes: 1024, onMutation: async (c) => void calls.push(c), now: () => 42 });
    r.on('GET', '/v1/x', async () => ({ ok: true }));
    r.on('POST', '/v1/things/:name/poke', async (req, _res, p) => {
      const body = (await readJson(req)) as { n?: number };
      noteCall(req, { image: 'sha256:abc' });
      if (body?.n === 0) throw new HttpError(409, 'no');
      return { poked: p.name };
    });
    const sock = await serve(r);
    expect((await send(sock, 'GET', '/v1/nope')).status).toBe(404);
    expect((await send(sock, 'DELETE', '/v1/x')).status).toBe(405);
    expect((await send(sock, 'POST', '/v1/things/a/poke', '{oops')).json).toMatchObject({ code: 400, message: expect.stringMatching(/^malformed JSON/) });
    const big = await send(sock, 'POST', '/v1/things/a/poke', Buffer.alloc(2048, 0x20));
    expect(big.status).toBe(413);
    expect(big.json.message).toBe('request body too large: the limit is 1024 bytes (agent flag --max-body-bytes)');
    expect((await send(sock, 'POST', '/v1/things/a/poke', '{"n":1}')).json).toEqual({ poked: 'a' });
    expect((await send(sock, 'POST', '/v1/things/b/poke', '{"n":0}')).status).toBe(409);
    expect((await send(sock, 'GET', '/v1/x')).status).toBe(200);
    expect(calls.map((c) => [c.verb, c.status, c.actor, c.startedAt])).toEqual([
      ['poke', 400, 'uid:7', 42], ['poke', 413, 'uid:7', 42], ['poke', 200, 'uid:7', 42], ['poke', 409, 'uid:7', 42],
    ]);
    expect(calls[2]!.note.image).toBe('sha256:abc');
    expect(calls[3]!.error).toBe('no');
  });
});
