/**
 * `imagectl fleet`: the hub side's own tools. `publish --manifests DIR` follows a Git checkout and
 * publishes it as one applyset (as `agent --manifests` does on a device); `nats-config` writes the
 * `authorization {}` block of nats-server.conf with one least-privilege user per publisher and per
 * node, and their passwords (0600).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { parseDuration } from '../../crd/fields/duration.js';
import { authorizationBlock } from '../../crd/fleet/permissions.js';
import { nodeNameProblem } from '../../crd/fleet/names.js';
import { CliError } from '../client.js';
import { fleetAuthOf, type GlobalOpts } from '../context.js';
import { dashboardCommand } from './fleet-dashboard.js';

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(',').filter(Boolean)];

function publishCommand(): Command {
  return new Command('publish')
    .description('hub side, GitOps: publish a directory (a Git checkout) to the fleet as one applyset, and follow it')
    .requiredOption('--manifests <dir>', 'the directory to publish; what leaves it is pruned from the fleet')
    .addOption(new Option('--interval <duration>', 'full re-publish period (also catches missed file events)').default('30s'))
    .option('--once', 'publish once and exit', false)
    .option('--log-level <level>', 'log level (debug, info, warn, error)', 'info')
    .action(async (opts: { manifests: string; interval: string; once: boolean; logLevel: string }, cmd: Command) => {
      const auth = fleetAuthOf(cmd.optsWithGlobals<GlobalOpts>());
      const interval = parseDuration(opts.interval);
      if (!interval.ok) throw new CliError(`--interval: ${interval.error}`);
      const [{ Hub }, { DirPublisher, loadDir, PUBLISH_APPLYSET }, { createLog }] = await Promise.all([
        import('../../controller/fleet/hub.js'), import('../../controller/fleet/publish-dir.js'), import('../../controller/agent/log.js'),
      ]);
      const dir = resolve(opts.manifests);
      let hub;
      try {
        hub = await Hub.connect(auth, 'imagectl-fleet-publish');
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      if (opts.once) {
        try {
          const loaded = await loadDir(dir);
          if ('error' in loaded) throw new CliError(`${loaded.error}\nerror: nothing was published`);
          const r = await hub.apply({ objects: loaded.objects, prune: true, applyset: PUBLISH_APPLYSET }).catch((err: { message: string; details?: string[] }) => {
            throw new CliError(`${err.details ? `${err.details.join('\n')}\n` : ''}error: ${err.message}`);
          });
          process.stdout.write(r.results.map((x) => `${x.kind.toLowerCase()}/${x.name} ${x.action}\n`).join(''));
        } finally {
          await hub.close();
        }
        return;
      }
      const p = new DirPublisher({ hub, dir, pollMs: interval.ms, log: createLog(opts.logLevel) });
      await p.start();
      await new Promise<void>((done) => {
        const onSignal = () => void p.stop().then(() => hub.close()).then(done);
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      });
    });
}

function natsConfigCommand(): Command {
  return new Command('nats-config')
    .description('print the authorization {} block for nats-server.conf: one least-privilege user per publisher and per node; passwords go to DIR/<name>.password (0600)')
    .addOption(new Option('--publisher <name...>', 'a publisher user (repeatable, or comma-separated)').argParser(collect))
    .addOption(new Option('--node <name...>', 'a node user, named as the device\'s --node-name (repeatable, or comma-separated)').argParser(collect))
    .requiredOption('--password-dir <dir>', 'where each generated password is written, as <name>.password, mode 0600')
    .action((opts: { publisher?: string[]; node?: string[]; passwordDir: string }) => {
      const publishers = opts.publisher ?? [];
      const nodes = opts.node ?? [];
      if (publishers.length + nodes.length === 0) throw new CliError('error: give at least one --publisher or --node');
      for (const n of [...publishers, ...nodes]) {
        const p = nodeNameProblem(n);
        if (p) throw new CliError(`error: ${p.replace('node name', 'user name')}`);
      }
      const dup = [...publishers, ...nodes].find((n, i, all) => all.indexOf(n) !== i);
      if (dup) throw new CliError(`error: ${JSON.stringify(dup)} is given twice: every publisher and node is its own user`);
      const dir = resolve(opts.passwordDir);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const passwords = new Map([...publishers, ...nodes].map((n) => [n, randomBytes(24).toString('base64url')]));
      for (const [n, pw] of passwords) {
        const file = join(dir, `${n}.password`);
        writeFileSync(file, `${pw}\n`, { mode: 0o600 });
        chmodSync(file, 0o600); // a file that was there keeps its mode otherwise
      }
      process.stdout.write(authorizationBlock({ publishers, nodes, passwords }));
      process.stderr.write(`wrote ${passwords.size} password file(s) to ${dir} (mode 0600)\n`);
    });
}

export function fleetCommand(): Command {
  return new Command('fleet')
    .description('the fleet hub\'s tools: publish a directory, write nats-server permissions, serve the dashboard')
    .addCommand(publishCommand())
    .addCommand(natsConfigCommand())
    .addCommand(dashboardCommand());
}
