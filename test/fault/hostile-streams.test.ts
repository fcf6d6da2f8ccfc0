/**
 * Hostile API clients on the unix socket, on a real engine (security issue, findings 5 and 10):
 * followers of `audit --follow` that never read while applies pour records in took the agent from
 * 138 MB to 3.2 GB (live records were written without backpressure); 30 concurrent 6 MB applies
 * peaked at 959 MB (no bound on bodies in flight). Now a live follower that lets more than 1 MiB
 * pile up is dropped, and bodies in flight are bounded over all connections.
 */
import net from 'node:net';
import type Dockerode from 'dockerode';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentProcess, waitFor } from '../helpers/agent.js';
import { stackInfo } from '../stack/context.js';
import { dockerFor, emptyEngine } from '../stack/fixtures.js';
import { call, health } from './helpers/api.js';
import { peakRss, rss } from './helpers/proc.js';

const stack = stackInfo();
let docker: Dockerode;
let agent: AgentProcess;
const MB = 1024 * 1024;

const status = (pid: number, field: 'VmRSS' | 'VmHWM') => (field === 'VmRSS' ? rss(pid) : peakRss(pid));
const policies = (n: number, annotation = '') => Array.from({ length: n }, (_, i) => ({
  apiVersion: 'imagectl.dev/v1alpha1', kind: 'ImagePolicy',
  metadata: { name: `p-${String(i).padStart(4, '0')}-${'x'.repeat(50)}`, ...(annotation ? { annotations: { note: annotation } } : {}) },
  spec: { removal: [{ imageName: `hs/p${i}:*`, deleteAfter: '1h' }] },
}));

beforeAll(() => {
  docker = dockerFor(stack);
});
beforeEach(async () => {
  await emptyEngine(docker);
  agent = new AgentProcess(stack, AgentProcess.tempStateDir());
});
afterEach(() => agent.dispose());

describe('followers that never read (finding 5)', () => {
  it('100 silent audit followers and heavy applies: every follower is dropped, memory stays bounded, and nothing is held after', async () => {
    await agent.start();
    const pid = agent.child!.pid!;
    const sock = { socketPath: agent.socket };
    const body = JSON.stringify({ objects: policies(1000) });
    expect((await call(sock, 'POST', '/v1/apply', body)).status).toBe(200);
    const base = status(pid, 'VmRSS');
    // each follower sends its request and then reads nothing
    const followers: net.Socket[] = [];
    for (let i = 0; i < 100; i++) {
      const c = net.createConnection(agent.socket);
      c.on('error', () => undefined);
      c.write('GET /v1/audit?follow=true HTTP/1.1\r\nHost: imagectl\r\n\r\n');
      c.pause();
      followers.push(c);
    }
    await new Promise((r) => setTimeout(r, 1000)); // their requests are in
    // every apply of the set is audited with a reason that names its 1000 objects (~90 KB a record)
    for (let i = 0; i < 60; i++) expect((await call(sock, 'POST', '/v1/apply', body)).status).toBe(200);
    // 60 records of 90 KB for 100 followers is 540 MB if they are kept
    expect(status(pid, 'VmHWM') - base).toBeLessThan(250 * MB);
    const h = await health(agent.socket);
    expect(h.streams.dropped).toBeGreaterThanOrEqual(100);
    expect(h.streams.open).toBe(0);
    for (const c of followers) c.destroy();
    // a follower that reads gets every live record
    const got: string[] = [];
    const reader = net.createConnection(agent.socket);
    reader.write('GET /v1/audit?follow=true HTTP/1.1\r\nHost: imagectl\r\n\r\n');
    reader.on('data', (c: Buffer) => got.push(c.toString()));
    await waitFor('the reader to be streaming', async () => (await health(agent.socket)).streams?.open === 1);
    const before = got.join('').split('"event":"api.apply"').length;
    for (let i = 0; i < 5; i++) expect((await call(sock, 'POST', '/v1/apply', body)).status).toBe(200);
    await waitFor('5 more records', async () => got.join('').split('"event":"api.apply"').length >= before + 5);
    reader.destroy();
    await waitFor('no stream open', async () => (await health(agent.socket)).streams.open === 0);
    expect(status(pid, 'VmRSS') - base).toBeLessThan(250 * MB);
  });
});

describe('bodies in flight (finding 10)', () => {
  it('30 concurrent 6 MB applies: all applied, memory bounded, health answers throughout', async () => {
    await agent.start();
    const pid = agent.child!.pid!;
    const base = status(pid, 'VmRSS');
    const body = JSON.stringify({ objects: policies(300, 'n'.repeat(20_000)) });
    expect(body.length).toBeGreaterThan(6_000_000);
    let done = false;
    let answered = 0;
    const probe = (async () => {
      while (!done) {
        if ((await health(agent.socket)).kind === 'Health') answered++;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const replies = await Promise.all(Array.from({ length: 30 }, () => call({ socketPath: agent.socket }, 'POST', '/v1/apply', body)));
    done = true;
    await probe;
    expect(replies.map((r) => r.status)).toEqual(Array(30).fill(200));
    expect(answered).toBeGreaterThan(0);
    // 30 bodies of 6 MB held at once, raw, parsed and validated, is far more
    expect(status(pid, 'VmHWM') - base).toBeLessThan(350 * MB);
    expect(((await agent.json(['get', 'policies', '-o', 'json'])) as { items: unknown[] }).items).toHaveLength(300);
  });
});
