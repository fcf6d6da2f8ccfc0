/**
 * `npm run demo`: the main job on a fresh machine. It uses the Docker engine in DOCKER_HOST when one
 * answers there, and otherwise brings up a private engine (installing Debian's docker.io when
 * missing). Then it builds a few small images, starts an agent on an embedded state dir (.demo/),
 * applies manifests/, and shows images being tracked and removed, with their audit trail.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Dockerode from 'dockerode';
import { dockerFromHost } from '../controller/engine/docker.js';
import { buildFixture, runContainer } from './stack/fixtures.js';
import { ensurePackages, startStack, type Stack } from './stack/stack.js';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin/imagectl.js');
const stateDir = join(root, '.demo');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function say(s: string): void {
  process.stdout.write(`\n\x1b[1m== ${s}\x1b[0m\n`);
}

function imagectl(...args: string[]): void {
  process.stdout.write(`$ imagectl ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, IMAGECTL_STATE_DIR: stateDir }, encoding: 'utf8' });
  process.stdout.write(r.stdout + r.stderr);
}

async function engine(): Promise<{ host: string; stack?: Stack }> {
  const host = process.env.DOCKER_HOST;
  if (host) {
    try {
      await dockerFromHost(host).ping();
      return { host };
    } catch {
      process.stdout.write(`DOCKER_HOST=${host} does not answer; starting a private engine instead\n`);
    }
  }
  say('starting a private Docker engine and registry (installing docker.io when missing)');
  await ensurePackages();
  const stack = await startStack();
  return { host: stack.dockerHost, stack };
}

async function main(): Promise<void> {
  const { host, stack } = await engine();
  process.env.DOCKER_HOST = host;
  const docker = new Dockerode(); // the fixtures use dockerode; it reads DOCKER_HOST, set just above
  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  let agent: ReturnType<typeof spawn> | undefined;
  try {
    say('building demo images: demo/app:1, demo/app:2 (in use), demo/base:1 (kept), demo/tool:1');
    for (const ref of ['demo/app:1', 'demo/app:2', 'demo/base:1', 'demo/tool:1']) await buildFixture(docker, ref);
    const web = await runContainer(docker, 'demo/app:2', { name: `demo-web-${process.pid}` });
    const tool = await runContainer(docker, 'demo/tool:1', { name: `demo-tool-${process.pid}` });

    say(`starting the agent (state dir ${stateDir})`);
    agent = spawn(process.execPath, [bin, 'agent', '--interval', '2s', '--log-level', 'warn'], { env: { ...process.env, IMAGECTL_STATE_DIR: stateDir }, stdio: 'inherit' });
    for (let i = 0; i < 100; i++) {
      const r = spawnSync(process.execPath, [bin, 'version'], { env: { ...process.env, IMAGECTL_STATE_DIR: stateDir }, encoding: 'utf8' });
      if (r.stdout.includes('reachable') && !r.stdout.includes('unreachable')) break;
      await sleep(100);
    }

    say('applying manifests/');
    imagectl('apply', '-f', join(root, 'manifests'));
    imagectl('get', 'policies');
    imagectl('get', 'images');
    imagectl('plan');

    say('stopping the demo-tool container: demo/tool:1 becomes idle and goes 5 s later');
    await tool.remove({ force: true });
    await sleep(6500);
    imagectl('get', 'images');
    imagectl('describe', 'image', 'demo/app:2');
    say('the audit log');
    imagectl('audit');
    await web.remove({ force: true });
  } finally {
    agent?.kill('SIGTERM');
    await sleep(300);
    if (stack) await stack.stop();
  }
  say('done. Run the agent yourself with: npx imagectl agent --state-dir .demo');
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
