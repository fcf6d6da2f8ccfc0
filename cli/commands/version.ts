import { Command } from 'commander';
import { VERSION } from '../../crd/api/version.js';
import { clientFor, type GlobalOpts } from '../context.js';

export function versionCommand(): Command {
  return new Command('version')
    .description('print the client and agent versions; exits 1 when the agent cannot be reached (--client: only the client, no agent needed)')
    .option('--client', 'only the client version', false)
    .action(async (opts: { client: boolean }, cmd: Command) => {
      process.stdout.write(`Client Version: ${VERSION}\n`);
      if (opts.client) return;
      // as kubectl: an agent that cannot be reached is an error (exit 1) after the client's version
      const h = await clientFor(cmd.optsWithGlobals<GlobalOpts>()).request<{ version: string; engine: { reachable: boolean; error: string | null }; passes?: number; lastPass?: { error: string | null } | null; safeMode?: { since: string; reason: string } | null; manifests?: { dir: string; lastAppliedAt: string | null; objects: string[]; error: string | null } }>('GET', '/v1/health');
      process.stdout.write(`Agent Version: ${h.version}\nDocker Engine: ${h.engine.reachable ? 'reachable' : `unreachable (${h.engine.error ?? 'unknown'})`}\n`);
      if (h.safeMode) process.stdout.write(`Safe Mode: since ${h.safeMode.since}: ${h.safeMode.reason}; nothing is removed\n`);
      // until its first whole pass the agent lists only what its store held (it may be replaying the engine's events)
      else if (h.passes === 0) process.stdout.write(`Reconciled: not yet${h.lastPass?.error ? ` (${h.lastPass.error})` : ''}\n`);
      const m = h.manifests;
      if (m) {
        const applied = m.lastAppliedAt ? `last applied ${m.lastAppliedAt}, ${m.objects.length} object${m.objects.length === 1 ? '' : 's'}` : 'never applied';
        process.stdout.write(`Manifests: ${m.dir} (${applied})${m.error ? `; sync error: ${m.error.replace(/\s*\n\s*/g, ' ')}` : ''}\n`);
      }
    });
}
