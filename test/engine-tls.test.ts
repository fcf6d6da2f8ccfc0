/**
 * DOCKER_HOST=tcp:// with TLS, end to end: the real agent against an engine of its own that listens
 * only on tcp://127.0.0.1:PORT with --tlsverify (certificates made with openssl in the stack's temp
 * dir, test/stack/tls.ts). With the right certificates the agent works as on a unix socket; a
 * setting that can never work (wrong CA, a client certificate the engine refuses, no certificates,
 * plain HTTP against the TLS port, TLS against a plain port) stops `imagectl agent` at start with
 * the reason on stderr and a non-zero exit. An engine that is merely not there is an outage the
 * agent rides out. This file starts its own (TLS-only) stack beside the shared one.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, BIN, NODE_FLAGS, runCli, waitFor, type CliResult } from './helpers/agent.js';
import { stackInfo } from './stack/context.js';
import { buildFixture, dockerFor, runContainer } from './stack/fixtures.js';
import { startStack, type Stack } from './stack/stack.js';

let stack: Stack;
let docker: Dockerode;
let agent: AgentProcess | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  stack = await startStack({ tls: true, registry: false });
  docker = dockerFor(stack);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
afterEach(async () => {
  await agent?.dispose();
  agent = undefined;
});

const tlsEnv = (certPath: string) => ({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certPath });

/** Run `imagectl agent` to its exit (a start that is refused); the state dir is its own. */
async function agentRefused(env: Record<string, string>): Promise<CliResult & { socket: string }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'ictl-tls-'));
  dirs.push(stateDir);
  const r = await runCli(['agent', '--interval', '1s'], { env: { IMAGECTL_STATE_DIR: stateDir, DOCKER_TLS_VERIFY: '', DOCKER_CERT_PATH: '', ...env }, timeoutMs: 30_000 });
  return { ...r, socket: join(stateDir, 'imagectl.sock') };
}

describe('the agent against a TLS-only engine', () => {
  it('with the right certificates: applies a policy, lists the images, removes the unused one when due and keeps the one in use', async () => {
    agent = new AgentProcess(stack, AgentProcess.tempStateDir());
    agent.agentEnv = tlsEnv(stack.tls!.certPaths.good);
    await agent.start();
    expect((await agent.cli(['version'])).stdout).toMatch(/Docker Engine: reachable/);
    const manifests = mkdtempSync(join(tmpdir(), 'ictl-tls-m-'));
    dirs.push(manifests);
    const file = join(manifests, 'tls.yaml');
    writeFileSync(file, 'apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata:\n  name: tls\nspec:\n  removal:\n    - imageName: "tls/*:*"\n      deleteAfter: 8s\n');
    const apply = await agent.cli(['apply', '-f', file]);
    expect(apply.stdout).toBe('imagepolicy/tls created\n');
    // made after the policy: each countdown starts when the agent first sees the image, over TLS
    const due = await buildFixture(docker, 'tls/due:1');
    const used = await buildFixture(docker, 'tls/used:1');
    await runContainer(docker, 'tls/used:1');

    const listed = await waitFor('get images to list both', async () => {
      const r = await agent!.cli(['get', 'images']);
      return r.stdout.includes('tls/due:1') && /tls\/used:1 +in-use/.test(r.stdout) && r;
    }, 7_000);
    expect(listed.code).toBe(0);
    const items = (await agent.json<{ items: { metadata: { name: string }; status: { state: string; removeAt: string | null } }[] }>(['get', 'images', '-o', 'json'])).items;
    expect(items.find((i) => i.metadata.name === due)!.status.removeAt).not.toBeNull();
    expect(items.find((i) => i.metadata.name === used)!.status.state).toBe('in-use');

    await waitFor('the due image to be removed over TLS', async () => docker.getImage(due).inspect().then(() => false, (e: { statusCode?: number }) => e.statusCode === 404), 30_000, 100);
    const audit = (await agent.cli(['audit', '--image', 'tls/due:1', '-o', 'json'])).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { to: string });
    expect(audit.map((r) => r.to)).toContain('removed');
    expect((await docker.getImage(used).inspect()).Id).toBe(used);
  }, 120_000);

  it('with a CA that did not sign the engine\'s certificate: refuses to start, saying so', async () => {
    const r = await agentRefused({ DOCKER_HOST: stack.dockerHost, ...tlsEnv(stack.tls!.certPaths.wrongCa) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`the TLS connection to the Docker engine at ${stack.dockerHost.replace(/\./g, '\\.')} \\(TLS, certificates from .*wrong-ca\\) failed: .*; the engine's certificate is not signed by ca\\.pem in DOCKER_CERT_PATH`));
    expect(existsSync(r.socket)).toBe(false);
  });

  it('with a client certificate of another CA: refuses to start, saying the engine refused it', async () => {
    const r = await agentRefused({ DOCKER_HOST: stack.dockerHost, ...tlsEnv(stack.tls!.certPaths.foreignClient) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/the TLS connection to the Docker engine at .* failed: .*bad certificate.*; the engine refused the client certificate/);
    expect(existsSync(r.socket)).toBe(false);
  });

  it('without certificates: refuses to start, naming the missing file', async () => {
    const r = await agentRefused({ DOCKER_HOST: stack.dockerHost, ...tlsEnv(stack.tls!.certPaths.empty) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`DOCKER_TLS_VERIFY is set, but ${join(stack.tls!.certPaths.empty, 'ca.pem')} cannot be read (ENOENT)`);
    expect(existsSync(r.socket)).toBe(false);
  });

  it('as a plain client (no DOCKER_TLS_VERIFY): refuses to start, saying the engine speaks TLS', async () => {
    const r = await agentRefused({ DOCKER_HOST: stack.dockerHost });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`the Docker engine at ${stack.dockerHost} speaks TLS: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH`);
  });

  it('with TLS against a port that speaks plain HTTP (the shared stack\'s registry): refuses to start', async () => {
    const r = await agentRefused({ DOCKER_HOST: `tcp://${stackInfo().registry}`, ...tlsEnv(stack.tls!.certPaths.good) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/the TLS connection to the Docker engine at .* failed: wrong version number \(ERR_SSL_WRONG_VERSION_NUMBER\); the engine does not speak TLS on this port/);
  });
});

describe('an engine that is not there at start is an outage, not a configuration error', () => {
  const refusedPort = () =>
    new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p)); // closed again: connections to it are refused
      });
    });
  const cases = [
    { what: 'a TLS tcp port where nothing listens', host: async () => `tcp://127.0.0.1:${await refusedPort()}`, tls: true, error: /ECONNREFUSED/ },
    { what: 'a unix socket that is not there (yet)', host: async () => `unix://${join(stack.root, 'not-yet.sock')}`, tls: false, error: /ENOENT/ },
  ];
  it.each(cases)('$what: the agent starts, serves, and says the engine is unreachable', async ({ host, tls, error }) => {
    const stateDir = mkdtempSync(join(tmpdir(), 'ictl-tls-'));
    dirs.push(stateDir);
    const env = { ...process.env, DOCKER_HOST: await host(), ...(tls ? tlsEnv(stack.tls!.certPaths.good) : {}), IMAGECTL_STATE_DIR: stateDir };
    const child = spawn(process.execPath, [...NODE_FLAGS, BIN, 'agent', '--interval', '1s'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr += c));
    try {
      const cli = (args: string[]) => runCli(args, { env: { IMAGECTL_STATE_DIR: stateDir } });
      const version = await waitFor(`the agent to answer\n${stderr}`, async () => {
        if (child.exitCode !== null) throw new Error(`the agent exited with ${child.exitCode}: ${stderr}`);
        const r = await cli(['version']);
        // the first pass that tried the engine says why it is unreachable ("not contacted yet" before it)
        return r.stdout.includes('Docker Engine:') && !r.stdout.includes('not contacted yet') && r.stdout;
      });
      expect(version).toMatch(/Docker Engine: unreachable \(.+\)/);
      expect(version).toMatch(error);
      expect((await cli(['get', 'images'])).code).toBe(0);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
    }
  });
});
