/**
 * DOCKER_HOST=ssh://, end to end, as dockerode does it: the agent authenticates with the ssh-agent
 * at SSH_AUTH_SOCK and runs `docker system dial-stdio` on the remote, one ssh connection per engine
 * request. The "remote" is an sshd on 127.0.0.1 with throwaway keys (test/stack/ssh.ts) whose
 * sessions are pointed at the shared stack's engine, so nothing reaches the system's socket.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dockerFromHost } from '../controller/engine/docker.js';
import { AgentProcess, runCli, waitFor } from './helpers/agent.js';
import { stackInfo } from './stack/context.js';
import { buildFixture, dockerFor, emptyEngine, runContainer } from './stack/fixtures.js';
import { startSshRemote, type SshRemote } from './stack/ssh.js';

const stack = stackInfo();
let docker: Dockerode;
let remote: SshRemote;
let agent: AgentProcess | undefined;
const root = mkdtempSync(join(tmpdir(), 'ictl-ssh-'));

beforeAll(async () => {
  docker = dockerFor(stack);
  remote = await startSshRemote(root, stack.dockerHost);
}, 60_000);
afterAll(async () => {
  await remote?.stop();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(async () => {
  await emptyEngine(docker);
});
afterEach(async () => {
  await agent?.dispose();
  agent = undefined;
});

describe('DOCKER_HOST=ssh://', () => {
  it('the engine client reaches the engine through ssh and dial-stdio', async () => {
    const id = await buildFixture(docker, 'ssh/list:1');
    const client = dockerFromHost(remote.dockerHost, { SSH_AUTH_SOCK: remote.authSock });
    expect(client.target.transport).toBe('ssh');
    expect(await client.ping()).toBe('OK');
    expect((await client.listImages()).map((i) => i.Id)).toContain(id);
    expect((await client.inspectImage('ssh/list:1')).Id).toBe(id);
  });

  it('the agent over ssh: applies a policy, lists the images, removes the unused one when due and keeps the one in use', async () => {
    agent = new AgentProcess({ ...stack, dockerHost: remote.dockerHost }, AgentProcess.tempStateDir());
    agent.agentEnv = { SSH_AUTH_SOCK: remote.authSock };
    await agent.start();
    const file = join(root, 'ssh.yaml');
    writeFileSync(file, 'apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata:\n  name: ssh\nspec:\n  removal:\n    - imageName: "ssh/*:*"\n      deleteAfter: 8s\n');
    expect((await agent.cli(['apply', '-f', file])).stdout).toBe('imagepolicy/ssh created\n');
    // made after the policy: each countdown starts when the agent first sees the image, over ssh
    const due = await buildFixture(docker, 'ssh/due:1');
    const used = await buildFixture(docker, 'ssh/used:1');
    await runContainer(docker, 'ssh/used:1');
    await waitFor('get images to list both', async () => {
      const r = await agent!.cli(['get', 'images']);
      return r.stdout.includes('ssh/due:1') && /ssh\/used:1 +in-use/.test(r.stdout);
    }, 7_000);
    await waitFor('the due image to be removed over ssh', async () => docker.getImage(due).inspect().then(() => false, (e: { statusCode?: number }) => e.statusCode === 404), 30_000, 100);
    const audit = (await agent.cli(['audit', '--image', 'ssh/due:1', '-o', 'json'])).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { to: string });
    expect(audit.map((r) => r.to)).toContain('removed');
    expect((await docker.getImage(used).inspect()).Id).toBe(used);
    expect((await agent.cli(['get', 'images'])).stdout).toMatch(/ssh\/used:1 +in-use/);
  }, 120_000);

  it('an ssh-agent whose key the remote does not know: the agent refuses to start, saying so', async () => {
    const stateDir = mkdtempSync(join(root, 'state-'));
    const r = await runCli(['agent', '--interval', '1s'], { env: { IMAGECTL_STATE_DIR: stateDir, DOCKER_HOST: remote.dockerHost, SSH_AUTH_SOCK: remote.strangerSock }, timeoutMs: 30_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`ssh to ${remote.dockerHost} refused every key of the ssh-agent at SSH_AUTH_SOCK`);
  });
});
