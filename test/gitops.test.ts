/**
 * GitOps on the device: `imagectl agent --manifests DIR` follows a Git working copy. An operator
 * commits to a repository, the device `git pull`s its clone, and the agent applies the directory
 * with prune for its own applyset: a policy removed in Git is pruned, objects applied from
 * elsewhere stay, and a broken commit keeps the last good set while get/describe and the log say why.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applysetId } from '../crd/apply/applyset.js';
import { AgentProcess, waitFor } from './helpers/agent.js';
import { stackInfo } from './stack/context.js';

const root = mkdtempSync(join(tmpdir(), 'ictl-git-'));
const origin = join(root, 'fleet'); // the operators' repository
const device = join(root, 'device'); // the device's checkout
const manifests = join(device, 'manifests');
const elsewhere = join(root, 'elsewhere');
const SET_ID = applysetId('agent-manifests');

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
}

const policy = (name: string, deleteAfter = '1h', extra = '') =>
  `apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata:\n  name: ${name}\n  labels: {team: edge}\nspec:\n  removal:\n    - imageName: "fixture/${name}:*"\n      deleteAfter: ${deleteAfter}\n${extra}`;

function commit(message: string, files: Record<string, string | null>): void {
  for (const [path, text] of Object.entries(files)) {
    if (text === null) git(origin, 'rm', '-q', path);
    else {
      writeFileSync(join(origin, path), text);
      git(origin, 'add', path);
    }
  }
  git(origin, 'commit', '-q', '-m', message);
}

let agent: AgentProcess;
type PolicyList = { items: { metadata: { name: string; labels?: Record<string, string> } }[] };
const names = async () => (await agent.json<PolicyList>(['get', 'policies', '-o', 'json'])).items.map((p) => p.metadata.name).sort();

beforeAll(async () => {
  mkdirSync(join(origin, 'manifests'), { recursive: true });
  git(origin, 'init', '-q', '-b', 'main');
  git(origin, 'config', 'user.name', 'Fleet Operator');
  git(origin, 'config', 'user.email', 'ops@example.com');
  writeFileSync(join(origin, 'README.md'), '# fleet manifests\n');
  mkdirSync(join(origin, '.github', 'workflows'), { recursive: true });
  writeFileSync(join(origin, '.github', 'workflows', 'ci.yml'), 'on: push\n'); // not a manifest, and not in manifests/
  git(origin, 'add', 'README.md', '.github');
  commit('two policies', { 'manifests/cleanup-a.yaml': policy('cleanup-a'), 'manifests/cleanup-b.yaml': policy('cleanup-b') });
  git(root, 'clone', '-q', origin, device);
  git(device, 'config', 'user.name', 'Device');
  git(device, 'config', 'user.email', 'device@example.com');
  mkdirSync(elsewhere);
  agent = new AgentProcess(stackInfo(), AgentProcess.tempStateDir(), ['--manifests', manifests]);
  await agent.start();
});

afterAll(async () => {
  await agent?.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('agent --manifests on a Git working copy', () => {
  it('applies the checkout at start, as its own applyset', async () => {
    expect(await names()).toEqual(['cleanup-a', 'cleanup-b']);
    const list = await agent.json<PolicyList>(['get', 'policies', '-o', 'json']);
    for (const p of list.items) expect(p.metadata.labels).toEqual({ team: 'edge', 'imagectl.dev/applyset': SET_ID });
    const sel = await agent.cli(['get', 'policies', '-l', `imagectl.dev/applyset=${SET_ID}`, '-o', 'name']);
    expect(sel.stdout).toBe('imagepolicy/cleanup-a\nimagepolicy/cleanup-b\n');
    const desc = await agent.cli(['describe', 'policy', 'cleanup-a']);
    expect(desc.stdout).toMatch(new RegExp(`Managed By:\\s+imagectl agent --manifests ${manifests} \\(applyset agent-manifests, last applied `));
    expect(desc.stdout).toMatch(/Sync Error:\s+<none>/);
    // audited like an API apply, with the directory as the actor
    const audit = (await agent.cli(['audit', '-o', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; actor: string; reason: string; to: string });
    expect(audit.filter((a) => a.event === 'api.apply')).toEqual([
      expect.objectContaining({ actor: `manifests ${manifests}`, to: 'succeeded', reason: 'apply imagepolicy/cleanup-a created, imagepolicy/cleanup-b created' }),
    ]);
  });

  it('git rm of one policy, committed and pulled, prunes it; objects applied from elsewhere stay', async () => {
    const loose = join(elsewhere, 'loose.yaml');
    writeFileSync(loose, policy('loose'));
    expect((await agent.cli(['apply', '-f', loose])).stdout).toBe('imagepolicy/loose created\n');
    const team = join(elsewhere, 'team-x.yaml');
    writeFileSync(team, policy('team-x'));
    expect((await agent.cli(['apply', '--prune', '--applyset', 'team-x', '-f', team])).stdout).toBe('imagepolicy/team-x created\n');

    commit('drop cleanup-b', { 'manifests/cleanup-b.yaml': null });
    git(device, 'pull', '-q', '--ff-only');
    await waitFor('cleanup-b to be pruned', async () => !(await names()).includes('cleanup-b'), 10_000);
    expect(await names()).toEqual(['cleanup-a', 'loose', 'team-x']);
    expect(agent.log).toMatch(/"msg":"manifests applied"/);
    expect(agent.log).toContain('imagepolicy/cleanup-b pruned');
  });

  it('a change in Git configures the object; drift is put back', async () => {
    commit('slower', { 'manifests/cleanup-a.yaml': policy('cleanup-a', '2h') });
    git(device, 'pull', '-q', '--ff-only');
    await waitFor('cleanup-a to be configured', async () => (await agent.cli(['get', 'policy', 'cleanup-a', '-o', 'yaml'])).stdout.includes('deleteAfter: 2h'), 10_000);
    // someone deletes a Git-managed object by hand: the next resync brings it back
    expect((await agent.cli(['delete', 'policy', 'cleanup-a'])).code).toBe(0);
    await waitFor('cleanup-a to come back', async () => (await names()).includes('cleanup-a'), 10_000);
  });

  it('a broken commit keeps the last good set and says why in get, describe and the log; the fix applies', async () => {
    commit('broken', {
      'manifests/cleanup-c.yaml': policy('cleanup-c'),
      'manifests/cleanup-d.yaml': policy('cleanup-d', 'soon'),
    });
    git(device, 'pull', '-q', '--ff-only');
    const get = await waitFor('the sync error', async () => {
      const r = await agent.cli(['get', 'policies']);
      return r.stderr.includes('warning: --manifests') ? r : undefined;
    }, 10_000);
    expect(get.code).toBe(0);
    expect(get.stderr).toContain(`${join(manifests, 'cleanup-d.yaml')}:9:7 spec.removal[0].deleteAfter: invalid duration "soon"`);
    expect(get.stderr).toContain('the last good set stays applied');
    expect(await names()).toEqual(['cleanup-a', 'loose', 'team-x']); // nothing of the broken commit, nothing pruned
    const desc = await agent.cli(['describe', 'policy', 'cleanup-a']);
    expect(desc.stdout).toMatch(/Sync Error:\s+1 problem in .*cleanup-d\.yaml:9:7 spec\.removal\[0\]\.deleteAfter: invalid duration "soon".*\(the last good set stays applied\)/);
    expect(agent.log).toMatch(/"msg":"manifests: keeping the last good set"/);
    const version = await agent.cli(['version']);
    expect(version.stdout).toMatch(new RegExp(`\\nManifests: ${manifests} \\(last applied \\S+, \\d+ objects?\\); sync error: .*invalid duration "soon"`));

    commit('fixed', { 'manifests/cleanup-d.yaml': policy('cleanup-d', '30m') });
    git(device, 'pull', '-q', '--ff-only');
    await waitFor('the fixed set', async () => (await names()).join() === 'cleanup-a,cleanup-c,cleanup-d,loose,team-x', 10_000);
    const after = await agent.cli(['get', 'policies']);
    expect(after.stderr).toBe('');
    expect((await agent.cli(['describe', 'policy', 'cleanup-c'])).stdout).toMatch(/Sync Error:\s+<none>/);
  });

  it('a half-written file is not applied until it is complete', async () => {
    const file = join(manifests, 'cleanup-e.yaml');
    const text = policy('cleanup-e');
    writeFileSync(file, text.slice(0, text.indexOf('spec:') + 12)); // cut inside the spec
    await waitFor('the half-written file to be reported', async () => (await agent.cli(['get', 'policies'])).stderr.includes('cleanup-e.yaml:'), 10_000);
    expect(await names()).not.toContain('cleanup-e');
    writeFileSync(file, text);
    await waitFor('the completed file', async () => (await names()).includes('cleanup-e'), 10_000);
  });
});
