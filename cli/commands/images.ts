import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import { Command } from 'commander';
import type { ProgressItem } from '../../crd/api/progress.js';
import { CliError, type Client } from '../client.js';
import { clientFor, type GlobalOpts } from '../context.js';
import { pullProgress } from '../progress.js';
import { shortId } from '../output.js';

/** Stream an archive to the agent, which caches it, verifies it and loads it. */
function upload(client: Client, file: string, digest: string | undefined): Promise<{ loaded: string[]; images: string[]; archiveDigest: string }> {
  try {
    if (!statSync(file).isFile()) throw new Error('not a regular file');
  } catch (err) {
    return Promise.reject(new CliError(`cannot read archive ${file}: ${(err as Error).message}`));
  }
  const q = new URLSearchParams({ name: file, ...(digest ? { digest } : {}) });
  return new Promise((resolve, reject) => {
    const req = http.request({ ...client.target({ 'content-type': 'application/x-tar' }), method: 'POST', path: `/v1/load?${q}` }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        const json = JSON.parse(body || '{}') as { message?: string };
        if ((res.statusCode ?? 500) >= 400) reject(new CliError(`load of ${file} failed: ${json.message ?? res.statusCode}`));
        else resolve(json as never);
      });
    });
    req.on('error', (err) => reject(client.unreachable(err)));
    createReadStream(file).pipe(req);
  });
}

/** With --fleet, pull and rmi go to devices (cli/commands/fleet-act.ts); --node and -l only there. */
async function fleetVariant(cmd: Command, op: 'pull' | 'rmi', refs: string[], o: { node?: string; selector?: string; archive?: string }): Promise<boolean> {
  const g = cmd.optsWithGlobals<GlobalOpts>();
  if (g.fleet === undefined) {
    if (o.node !== undefined || o.selector !== undefined) throw new CliError('error: --node and -l pick fleet devices: give --fleet URL');
    return false;
  }
  if (o.archive) throw new CliError('error: --archive is not available with --fleet (the archive is a file on one device)');
  if (refs.length !== 1) throw new CliError(`error: fleet ${op} takes one image reference`);
  await (await import('./fleet-act.js')).fleetAct(g, op, refs[0]!, o);
  return true;
}

export function pullCommand(): Command {
  return new Command('pull')
    .description('pull an image through the agent (recorded as agent-downloaded), or load a docker save archive')
    .argument('[ref]', 'image reference, e.g. localhost:5000/sensor:1.4')
    .option('--archive <file>', 'load this docker save tarball instead of pulling')
    .option('--digest <sha256>', 'with --archive: the expected sha256 of the file, verified before loading')
    .option('--node <name>', 'with --fleet: pre-stage on this device')
    .option('-l, --selector <selector>', 'with --fleet: pre-stage on the devices whose node labels match')
    .action(async (ref: string | undefined, opts: { archive?: string; digest?: string; node?: string; selector?: string }, cmd: Command) => {
      if (await fleetVariant(cmd, 'pull', ref ? [ref] : [], opts)) return;
      const client = clientFor(cmd.optsWithGlobals<GlobalOpts>());
      if (opts.archive) {
        const r = await upload(client, opts.archive, opts.digest);
        for (const l of r.loaded) process.stdout.write(`Loaded image: ${l}\n`);
        process.stdout.write(`archive ${r.archiveDigest} cached; ${r.images.map(shortId).join(', ')} recorded as agent-downloaded\n`);
        return;
      }
      if (!ref) throw new CliError('error: give an image reference, or --archive FILE');
      const progress = await pullProgress();
      let result: { done?: boolean; imageId?: string; error?: string } = {};
      try {
        await client.streamPost('/v1/pull', { ref }, (line) => {
          const l = line as { progress?: ProgressItem; done?: boolean; error?: string; imageId?: string };
          if (l.progress) progress.update(l.progress);
          else result = l;
        });
      } finally {
        progress.stop();
      }
      if (result.error) throw new CliError(result.error);
      if (!result.done) throw new CliError(`pull of ${ref} ended without a result`);
      process.stdout.write(`${ref} pulled: ${result.imageId}\n`);
    });
}

export function rmiCommand(): Command {
  return new Command('rmi')
    .description('remove an image the agent manages (pulled or loaded by it, not in use), with its residual data')
    .argument('<ref...>', 'image ID, tag or digest')
    .option('--node <name>', 'with --fleet: only this device')
    .option('-l, --selector <selector>', 'with --fleet: only the devices whose node labels match')
    .action(async (refs: string[], o: { node?: string; selector?: string }, cmd: Command) => {
      if (await fleetVariant(cmd, 'rmi', refs, o)) return;
      const client = clientFor(cmd.optsWithGlobals<GlobalOpts>());
      let failed = 0;
      for (const ref of refs) {
        try {
          const r = await client.request<{ image: string; removed: string[]; residual: string[] }>('POST', '/v1/rmi', { ref });
          for (const t of r.removed) process.stdout.write(`Untagged: ${t}\n`);
          process.stdout.write(`Deleted: ${r.image}\n`);
          for (const f of r.residual) process.stdout.write(`Removed residual data: ${f}\n`);
        } catch (err) {
          process.stderr.write(`error: ${(err as Error).message}\n`);
          failed++;
        }
      }
      if (failed) process.exitCode = 1;
    });
}

export function refreshCommand(): Command {
  return new Command('refresh')
    .description('raise a workload\'s refreshImage counter: check the registry for a new image, recreate only if one came')
    .argument('<kind>', 'workload')
    .argument('<name>', 'workload name')
    .action(async (kind: string, name: string, _o: unknown, cmd: Command) => {
      if (!/^(workload|workloads|wl)$/i.test(kind)) throw new CliError(`error: refresh works on workloads, not ${JSON.stringify(kind)}`);
      const r = await clientFor(cmd.optsWithGlobals<GlobalOpts>()).request<{ spec: { refreshImage: number } }>('POST', `/v1/workloads/${encodeURIComponent(name)}/refresh`);
      process.stdout.write(`workload/${name} refreshImage raised to ${r.spec.refreshImage}\n`);
    });
}
