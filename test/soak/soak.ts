/**
 * npm run soak -- --minutes N --seed S [--main-guarantees] [--report FILE]
 *
 * A seeded chaos soak on a real engine, judged by the engine's own event log (see run.ts and
 * RELIABILITY.md). By default the schedule includes short-lived containers and containers that come
 * and go while the agent is down; --main-guarantees leaves them out (what `npm run test:fault` runs).
 * Exits 1 when the oracle found a violation, 2 on a bad argument.
 */
import { writeFileSync } from 'node:fs';
import { formatReport } from './report.js';
import { runSoak } from './run.js';

function parse(argv: string[]): { minutes: number; seed: number; unseenUses: boolean; report: string | null } {
  const out = { minutes: 5, seed: Math.floor(Math.random() * 2 ** 31), unseenUses: true, report: null as string | null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--minutes') out.minutes = Number(value());
    else if (a === '--seed') out.seed = Number(value());
    else if (a === '--main-guarantees') out.unseenUses = false;
    else if (a === '--report') out.report = value();
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(out.minutes > 0)) throw new Error('--minutes must be a positive number');
  if (!Number.isInteger(out.seed)) throw new Error('--seed must be an integer');
  return out;
}

let args: ReturnType<typeof parse>;
try {
  args = parse(process.argv.slice(2));
} catch (err) {
  console.error(`soak: ${(err as Error).message}\nusage: npm run soak -- --minutes N --seed S [--main-guarantees] [--report FILE]`);
  process.exit(2);
}
const report = await runSoak({ durationMs: args.minutes * 60_000, seed: args.seed, unseenUses: args.unseenUses, log: (s) => console.error(s) });
console.log(formatReport(report));
if (args.report) writeFileSync(args.report, `${JSON.stringify(report, null, 2)}\n`);
console.log(`replay: npm run soak -- --minutes ${args.minutes} --seed ${args.seed}${args.unseenUses ? '' : ' --main-guarantees'}`);
process.exit(report.violations.length ? 1 : 0);
