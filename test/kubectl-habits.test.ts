/**
 * The kubectl habits (SPEC §6a) through the built CLI against a real agent on the real engine:
 * get -w from the agent's change feed, -o jsonpath and custom-columns, --sort-by, --no-headers,
 * TYPE/NAME and TYPE,TYPE, -o name taken back, delete -l, wait, bash completion, version's exit
 * code, image labels for -l, one NotFound wording, and the commands that need no agent.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, BIN, NODE_FLAGS, runCli, waitFor } from './helpers/agent.js';
import { followCli } from './helpers/follow.js';
import { stackInfo } from './stack/context.js';
import { buildFixture, dockerFor, emptyEngine } from './stack/fixtures.js';

const stack = stackInfo();
const dir = mkdtempSync(join(tmpdir(), 'ictl-habits-'));
let docker: Dockerode;
let agent: AgentProcess;
const cli = (...args: string[]) => agent.cli(args);
const running: ChildProcess[] = [];

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function policy(name: string, o: { image?: string; after?: string; labels?: Record<string, string> } = {}): string {
  const labels = o.labels ? `\n  labels: ${JSON.stringify(o.labels)}` : '';
  return file(`${name}.yaml`, `apiVersion: imagectl.dev/v1alpha1\nkind: ImagePolicy\nmetadata:\n  name: ${name}${labels}\nspec:\n  removal:\n    - imageName: "${o.image ?? `fixture/${name}:*`}"\n      deleteAfter: ${o.after ?? '1h'}\n`);
}

function workload(name: string, image: string): string {
  return file(`${name}.wl.yaml`, `apiVersion: imagectl.dev/v1alpha1\nkind: Workload\nmetadata:\n  name: ${name}\nspec:\n  image: ${image}\n  imagePullPolicy: Never\n  command: ["/bin/busybox", "sleep", "3600"]\n`);
}

/** A CLI process left running (get -w, wait): its output so far, and a wait for a line. */
function follow(args: string[]) {
  const f = followCli(args, agent.env, { timeoutMs: 30_000 });
  running.push(f.child);
  return f;
}

beforeAll(async () => {
  docker = dockerFor(stack);
  await emptyEngine(docker);
  agent = new AgentProcess(stack, AgentProcess.tempStateDir());
  await agent.start();
});

afterAll(async () => {
  for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
  await agent?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('get -w', () => {
  it('images: the current list, then a row per change as the agent commits it (a new image, its removal)', async () => {
    await buildFixture(docker, 'fixture/w1:1');
    await waitFor('the agent to see fixture/w1:1', async () => (await cli('get', 'images', 'fixture/w1:1')).code === 0);
    const w = follow(['get', 'images', '-w']);
    await w.line(/^IMAGE ID\s+TAGS\s+STATE/, 'the header');
    await w.line(/fixture\/w1:1\s+idle/);
    await buildFixture(docker, 'fixture/w2:1');
    await w.line(/fixture\/w2:1\s+idle/);
    expect((await cli('apply', '-f', policy('w', { image: 'fixture/w2:*', after: '1s' }))).code).toBe(0);
    const removed = await w.line(/fixture\/w2:1\s+removed/);
    // the rows line up under the header of the first batch
    const header = w.out.split('\n')[0]!;
    expect(removed.indexOf('removed')).toBe(header.indexOf('STATE'));
    w.stop();
    await w.exited;
  });

  it('workloads, with --output-watch-events: ADDED, MODIFIED as it comes up, DELETED', async () => {
    await buildFixture(docker, 'fixture/wl:1');
    const w = follow(['get', 'workloads', '-w', '--output-watch-events']);
    await w.line(/^EVENT\s+NAME\s+IMAGE\s+PHASE/, 'the header');
    expect((await cli('apply', '-f', workload('wl-watch', 'fixture/wl:1'))).code).toBe(0);
    await w.line(/^ADDED\s+wl-watch\s+fixture\/wl:1/);
    await w.line(/^MODIFIED\s+wl-watch\s+fixture\/wl:1\s+Running/);
    expect((await cli('delete', 'workload/wl-watch')).code).toBe(0);
    await w.line(/^DELETED\s+wl-watch/);
    w.stop();
  });

  it('-o name and -o jsonpath print one line per change; --watch-only skips the current objects', async () => {
    await cli('apply', '-f', policy('wo-old'));
    const w = follow(['get', 'policies', '--watch-only', '-o', 'jsonpath={.metadata.name}{"\\n"}']);
    // each apply changes wo-new: whenever the watch is open, the next one is a change it prints
    let n = 1;
    await waitFor('wo-new in the watch', async () => {
      await cli('apply', '-f', policy('wo-new', { after: `${n++}m` }));
      await new Promise((r) => setTimeout(r, 300));
      return w.out.includes('wo-new\n');
    });
    expect(w.out).not.toContain('wo-old');
    const names = follow(['get', 'policies', '-w', '-o', 'name']);
    await names.line(/^imagepolicy\/wo-old$/);
    await cli('apply', '-f', policy('wo-old', { after: '2h' }));
    await waitFor('a second wo-old line', async () => names.out.split('\n').filter((l) => l === 'imagepolicy/wo-old').length === 2);
    w.stop();
    names.stop();
  });
});

describe('output', () => {
  it('-o jsonpath in kubectl\'s template dialect, on lists and on one object', async () => {
    await cli('apply', '-f', policy('jp-a', { after: '2h' }), '-f', policy('jp-b', { after: '3h' }));
    const names = await cli('get', 'policies', '-o', 'jsonpath={.items[*].metadata.name}');
    expect(names.stdout.split(' ')).toEqual(expect.arrayContaining(['jp-a', 'jp-b']));
    const range = await cli('get', 'policies', '-o', 'jsonpath={range .items[?(@.metadata.name=="jp-b")]}{.metadata.name}{"\\t"}{.spec.removal[0].deleteAfter}{"\\n"}{end}');
    expect(range.stdout).toBe('jp-b\t3h\n');
    expect((await cli('get', 'policy', 'jp-a', '-o', 'jsonpath={.kind}/{@.metadata.name}')).stdout).toBe('ImagePolicy/jp-a');
    const bad = await cli('get', 'policies', '-o', 'jsonpath={range .items[*]}');
    expect([bad.code, bad.stdout]).toEqual([1, '']);
    expect(bad.stderr).toContain('unclosed range');
  });

  it('-o custom-columns (and -file), --sort-by, --no-headers', async () => {
    await cli('apply', '-f', policy('sort-z', { after: '5m' }));
    await cli('apply', '-f', policy('sort-a', { after: '5m' }));
    await cli('apply', '-f', policy('sort-a', { after: '6m' })); // generation 2
    const cols = await cli('get', 'policies', '-o', 'custom-columns=NAME:.metadata.name,AFTER:.spec.removal[0].deleteAfter,GEN:.metadata.generation', '--sort-by', '{.metadata.name}');
    const lines = cols.stdout.split('\n').filter((l) => /sort-/.test(l) || /^NAME/.test(l));
    expect(lines).toEqual([expect.stringMatching(/^NAME\s+AFTER\s+GEN$/), expect.stringMatching(/^sort-a\s+6m\s+2$/), expect.stringMatching(/^sort-z\s+5m\s+1$/)]);
    const byGen = await cli('get', 'policies', '-o', 'custom-columns=NAME:.metadata.name,GEN:.metadata.generation', '--sort-by=.metadata.generation', '--no-headers');
    const order = byGen.stdout.split('\n').filter((l) => l.startsWith('sort-')).map((l) => l.split(/\s+/)[0]);
    expect(order).toEqual(['sort-z', 'sort-a']);
    expect(byGen.stdout).not.toContain('NAME');
    const spec = file('cols.txt', 'NAME        MISSING\n.metadata.name   .spec.nothing\n');
    expect((await cli('get', 'policy', 'sort-a', '-o', `custom-columns-file=${spec}`)).stdout).toMatch(/^NAME\s+MISSING\nsort-a\s+<none>\n$/);
    const table = await cli('get', 'policies', '--no-headers');
    expect(table.stdout).toMatch(/^\S+\s+1\s+0\s+yes\s+\S+\n/);
    expect(table.stdout).not.toMatch(/NAME/);
  });
});

describe('TYPE/NAME, several types, -o name taken back', () => {
  it('get TYPE/NAME and TYPE,TYPE; -o name output works as get and delete arguments', async () => {
    await cli('apply', '-f', policy('tn-a', { labels: { group: 'tn' } }), '-f', policy('tn-b', { labels: { group: 'tn' } }));
    const named = (await cli('get', 'policies', '-l', 'group=tn', '-o', 'name')).stdout.trim().split('\n');
    expect(named).toEqual(['imagepolicy/tn-a', 'imagepolicy/tn-b']);
    const back = await cli('get', ...named, '-o', 'jsonpath={.items[*].metadata.name}');
    expect(back.stdout).toBe('tn-a tn-b');
    const one = await cli('get', 'imagepolicy/tn-a', '-o', 'json');
    expect(JSON.parse(one.stdout)).toMatchObject({ kind: 'ImagePolicy', metadata: { name: 'tn-a' } });
    const both = await cli('get', 'images,policies');
    expect(both.code).toBe(0);
    expect(both.stdout).toMatch(/^IMAGE ID\s+TAGS[^\n]*\n(image\/[0-9a-f]{12}\s[^\n]*\n)+\nNAME\s+RULES[^\n]*\n(imagepolicy\/\S+\s[^\n]*\n)+$/);
    const list = JSON.parse((await cli('get', 'images,policies', '-o', 'json')).stdout) as { kind: string; items: { kind: string }[] };
    expect(list.kind).toBe('List');
    expect(new Set(list.items.map((i) => i.kind))).toEqual(new Set(['Image', 'ImagePolicy']));
    const image = (await cli('get', 'images', '-o', 'name')).stdout.split('\n')[0]!;
    expect(image).toMatch(/^image\/sha256:[0-9a-f]{64}$/);
    expect(JSON.parse((await cli('get', image, '-o', 'json')).stdout).metadata.name).toBe(image.slice('image/'.length));
    const del = await cli('delete', ...named);
    expect(del.stdout).toBe('imagepolicy "tn-a" deleted\nimagepolicy "tn-b" deleted\n');
  });

  it('delete -l deletes the objects whose labels match, and only those', async () => {
    await cli('apply', '-f', policy('dl-a', { labels: { team: 'gone' } }), '-f', policy('dl-b', { labels: { team: 'gone' } }), '-f', policy('dl-c', { labels: { team: 'stays' } }));
    const del = await cli('delete', 'policies', '-l', 'team=gone');
    expect([del.code, del.stdout]).toEqual([0, 'imagepolicy "dl-a" deleted\nimagepolicy "dl-b" deleted\n']);
    expect((await cli('get', 'policies', '-l', 'team', '-o', 'name')).stdout).toBe('imagepolicy/dl-c\n');
    const none = await cli('delete', 'policies', '-l', 'team=nobody');
    expect([none.code, none.stdout, none.stderr]).toEqual([0, '', 'No resources found\n']);
  });
});

describe('image labels', () => {
  it('get images items carry the engine\'s image labels, and -l selects by them', async () => {
    const edge = await buildFixture(docker, 'fixture/lab-edge:1', { labels: { tier: 'edge', team: 'plant' } });
    await buildFixture(docker, 'fixture/lab-core:1', { labels: { tier: 'core' } });
    await waitFor('the agent to see both', async () => (await cli('get', 'images', 'fixture/lab-core:1')).code === 0 && (await cli('get', 'images', 'fixture/lab-edge:1')).code === 0);
    expect((await cli('get', 'images', '-l', 'tier=edge', '-o', 'name')).stdout).toBe(`image/${edge}\n`);
    expect((await cli('get', 'images', '-l', 'tier in (edge,core),team', '-o', 'name')).stdout).toBe(`image/${edge}\n`);
    const item = JSON.parse((await cli('get', 'images', 'fixture/lab-edge:1', '-o', 'json')).stdout) as { metadata: { labels: Record<string, string> } };
    expect(item.metadata.labels).toEqual({ tier: 'edge', team: 'plant' });
  });
});

describe('wait', () => {
  it('--for=condition=Ready on a workload whose image and container are ready; --for=delete; a timeout exits 1', async () => {
    await buildFixture(docker, 'fixture/ready:1');
    expect((await cli('apply', '-f', workload('wl-ready', 'fixture/ready:1'))).code).toBe(0);
    const ready = await cli('wait', '--for=condition=Ready', 'workload/wl-ready', '--timeout', '60s');
    expect([ready.code, ready.stdout, ready.stderr]).toEqual([0, 'workload/wl-ready condition met\n', '']);
    const conds = await cli('get', 'workload', 'wl-ready', '-o', 'jsonpath={range .status.conditions[*]}{.type}={.status} {end}');
    expect(conds.stdout.trim().split(' ').sort()).toEqual(['ContainerReady=True', 'ImageReady=True', 'Ready=True']);

    const gone = follow(['wait', '--for=delete', 'workload/wl-ready', '--timeout', '60s']);
    await new Promise((r) => setTimeout(r, 500));
    expect(gone.out).toBe('');
    expect((await cli('delete', 'workload', 'wl-ready')).code).toBe(0);
    expect(await gone.exited).toBe(0);
    expect(gone.out).toBe('workload/wl-ready deleted\n');

    expect((await cli('apply', '-f', workload('wl-never', 'fixture/absent:1'))).code).toBe(0);
    const failed = await cli('wait', '--for=jsonpath={.status.phase}=Failed', 'workloads', 'wl-never', '--timeout', '60s');
    expect([failed.code, failed.stdout]).toEqual([0, 'workload/wl-never condition met\n']);
    const late = await cli('wait', '--for=condition=Ready', 'workload/wl-never', '--timeout', '2s');
    expect([late.code, late.stdout, late.stderr]).toEqual([1, '', 'error: timed out waiting for the condition on workloads/wl-never\n']);
    const notReady = await cli('get', 'workload', 'wl-never', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].reason}');
    expect(notReady.stdout).toBe('ImageNotPresent');
  });

  it('-l waits until every object that matches meets the condition', async () => {
    await cli('apply', '-f', policy('wl-a', { labels: { grp: 'w' } }), '-f', policy('wl-b', { labels: { grp: 'w' } }));
    const w = follow(['wait', '--for=jsonpath={.spec.removal[0].deleteAfter}=9h', 'policies', '-l', 'grp=w', '--timeout', '60s']);
    expect((await cli('apply', '-f', policy('wl-a', { after: '9h', labels: { grp: 'w' } }))).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(w.out).toBe('');
    expect((await cli('apply', '-f', policy('wl-b', { after: '9h', labels: { grp: 'w' } }))).code).toBe(0);
    expect(await w.exited).toBe(0);
    expect(w.out).toBe('imagepolicy/wl-a condition met\nimagepolicy/wl-b condition met\n');
    const none = await cli('wait', '--for=delete', 'policies', '-l', 'grp=nothing');
    expect([none.code, none.stderr]).toEqual([1, 'error: no matching resources found\n']);
  });

  it('--for=delete on an image that a policy removes', async () => {
    await buildFixture(docker, 'fixture/wait-rm:1');
    await waitFor('the agent to see it', async () => (await cli('get', 'images', 'fixture/wait-rm:1')).code === 0);
    const w = follow(['wait', '--for=delete', 'image/fixture/wait-rm:1', '--timeout', '60s']);
    await cli('apply', '-f', policy('wait-rm', { after: '1s' }));
    expect(await w.exited).toBe(0);
    expect(w.out).toBe('image/fixture/wait-rm:1 deleted\n');
  });
});

describe('one NotFound style', () => {
  it('get, describe, delete and wait say it the same way, kubectl\'s', async () => {
    for (const args of [['get', 'policy', 'nope'], ['get', 'imagepolicy/nope'], ['describe', 'policy', 'nope'], ['delete', 'imagepolicy', 'nope'], ['wait', '--for=condition=Ready', 'imagepolicy/nope']]) {
      const r = await cli(...args);
      expect([args.join(' '), r.code, r.stderr]).toEqual([args.join(' '), 1, 'Error from server (NotFound): imagepolicies "nope" not found\n']);
    }
    expect((await cli('describe', 'workload', 'nope')).stderr).toBe('Error from server (NotFound): workloads "nope" not found\n');
    expect((await cli('get', 'image', 'nosuch/image:1')).stderr).toBe('Error from server (NotFound): images "nosuch/image:1" not found\n');
    const some = await cli('get', 'policy', 'jp-a', 'nope', '-o', 'name');
    expect([some.code, some.stdout, some.stderr]).toEqual([1, 'imagepolicy/jp-a\n', 'Error from server (NotFound): imagepolicies "nope" not found\n']);
  });
});

/** A directory with `imagectl` in it, for PATH: the completion scripts run the command the user typed. */
function binDir(): string {
  const bin = mkdtempSync(join(dir, 'bin-'));
  const exe = join(bin, 'imagectl');
  writeFileSync(exe, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${NODE_FLAGS.join(' ')} ${JSON.stringify(BIN)} "$@"\n`);
  chmodSync(exe, 0o755);
  return bin;
}

describe('bash completion', () => {
  /** Source `imagectl completion bash` into bash and press TAB at the end of `line`. */
  function tab(line: string, env: Record<string, string> = agent.env): string[] {
    const bin = binDir();
    const script = [
      'source <(imagectl completion bash)',
      'complete -p imagectl >&2',
      `COMP_LINE=${JSON.stringify(line)}; COMP_POINT=\${#COMP_LINE}`,
      'read -r -a COMP_WORDS <<< "$COMP_LINE"; [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")',
      'COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))',
      '_imagectl_complete',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const r = spawnSync('bash', ['-c', script], { env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toContain('complete -o default -F _imagectl_complete imagectl');
    return r.stdout.split('\n').filter(Boolean);
  }

  it('imagectl get pol<TAB> completes to the policy kind; describe policy <TAB> to the live policy names', async () => {
    await cli('apply', '-f', policy('comp-one'), '-f', policy('comp-two'));
    expect(tab('imagectl get pol')).toEqual(['policies']);
    const live = (await cli('get', 'policies', '-o', 'jsonpath={.items[*].metadata.name}')).stdout.split(' ');
    expect(tab('imagectl describe policy ')).toEqual(live);
    expect(tab('imagectl describe policy comp-')).toEqual(['comp-one', 'comp-two']);
    expect(tab('imagectl get --no-h')).toEqual(['--no-headers']);
    expect(tab('imagectl ge')).toEqual(['get']);
  });

  it('completes image tags past bash\'s word break at ":", and goes quietly without names when the agent is down', async () => {
    await buildFixture(docker, 'fixture/comp:1');
    await waitFor('the agent to see it', async () => (await cli('get', 'images', 'fixture/comp:1')).code === 0);
    expect(tab('imagectl describe image fixture/comp:')).toEqual(['1']);
    const nobody = AgentProcess.tempStateDir();
    expect(tab('imagectl describe policy ', { IMAGECTL_STATE_DIR: nobody })).toEqual([]);
    expect(tab('imagectl get w', { IMAGECTL_STATE_DIR: nobody })).toEqual(['workloads']);
  });
});

describe('zsh completion', () => {
  it('the zsh script offers the same candidates (compadd and _files stand in for the line editor)', async () => {
    await cli('apply', '-f', policy('comp-one'), '-f', policy('comp-two'));
    const bin = binDir();
    const script = [
      'source <(imagectl completion zsh)',
      // outside the line editor, stand-ins that print what would be offered
      'compadd() { shift 2; print -l -- "$@"; }',
      '_files() { print "(files)"; }',
      'words=(imagectl get pol); CURRENT=3; _imagectl; print -r -- ---',
      'words=(imagectl describe policy comp-); CURRENT=4; _imagectl',
    ].join('\n');
    const r = spawnSync('zsh', ['-f', '-c', `compdef() { :; }\n${script}`], { env: { ...process.env, ...agent.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8', timeout: 20_000 });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe('policies\n---\ncomp-one\ncomp-two\n');
    expect(spawnSync('zsh', ['-n', '-c', (await runCli(['completion', 'zsh'])).stdout]).status).toBe(0);
  });
});

describe('without an agent', () => {
  it('version exits 1 when it cannot reach the agent, as kubectl; version --client, new, explain, crds and apply --dry-run=client need none', async () => {
    const env = { DOCKER_HOST: stack.dockerHost, IMAGECTL_STATE_DIR: AgentProcess.tempStateDir() };
    const v = await runCli(['version'], { env });
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/^Client Version: \S+\n$/);
    expect(v.stderr).toContain('cannot reach the imagectl agent');
    const client = await runCli(['version', '--client'], { env });
    expect([client.code, client.stderr]).toEqual([0, '']);
    expect((await runCli(['new', 'imagepolicy'], { env })).code).toBe(0);
    expect((await runCli(['explain', 'workload.spec.image'], { env })).stdout).toContain('FIELD: image');
    expect((await runCli(['crds'], { env })).stdout).toContain('kind: CustomResourceDefinition');
    const dry = await runCli(['apply', '--dry-run=client', '-f', policy('offline')], { env });
    expect([dry.code, dry.stdout]).toEqual([0, 'imagepolicy/offline created (dry run)\n']);
    expect((await runCli(['completion', 'bash'], { env })).stdout).toContain('complete -o default -F _imagectl_complete imagectl');
    const ok = await cli('version');
    expect(ok.code).toBe(0);
  });
});
