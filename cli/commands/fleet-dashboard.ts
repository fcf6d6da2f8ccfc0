/**
 * `imagectl fleet dashboard --fleet URL [--listen HOST:PORT] [--token-file FILE]`: one page that
 * shows the fleet live (controller/fleet/dashboard/). Loopback by default; any other address needs
 * the global --token-file, and the start is refused without it.
 */
import { Command, Option } from 'commander';
import { CliError } from '../client.js';
import { fleetAuthOf, type GlobalOpts } from '../context.js';

export function dashboardCommand(): Command {
  return new Command('dashboard')
    .description('serve a live page of the fleet: rollout, devices, images, activity (a token from --token-file is required on a non-loopback address)')
    .addOption(new Option('--listen <host:port>', 'where to serve the page; an address other than loopback needs the global --token-file').default('127.0.0.1:8080').env('IMAGECTL_DASHBOARD_LISTEN'))
    .option('--log-level <level>', 'log level (debug, info, warn, error)', 'info')
    .action(async (opts: { listen: string; logLevel: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOpts>();
      const fleet = fleetAuthOf(g);
      const [{ startDashboard }, { createLog }] = await Promise.all([import('../../controller/fleet/dashboard/start.js'), import('../../controller/agent/log.js')]);
      let log;
      try {
        log = createLog(opts.logLevel);
      } catch (err) {
        throw new CliError(`error: --log-level: ${(err as Error).message}`);
      }
      let d;
      try {
        d = await startDashboard({ fleet, listen: opts.listen, tokenFile: g.tokenFile, log });
      } catch (err) {
        throw new CliError(`error: ${(err as Error).message}`);
      }
      process.stdout.write(`Serving the fleet dashboard on ${d.url} (${d.model.size} devices)${g.tokenFile ? ', token required' : ''}\n`);
      await new Promise<void>((done) => {
        const onSignal = () => void d.stop().then(done, done);
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      });
    });
}
