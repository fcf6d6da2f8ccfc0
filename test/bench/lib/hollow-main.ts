/**
 * The child process of hollowFleet(): `hollow-main.ts URL FIRST COUNT IMAGES DIR` (agents FIRST..FIRST+COUNT-1). Starts the hollow
 * agents on one LevelDB in DIR, prints {"ready": true} once each applied the hub's `_commit` and
 * wrote its status, and on SIGTERM stops them and prints what they sent.
 */
import { Level } from 'level';
import { startHollowAgent, type HollowAgent } from './hollow-fleet.js';

const [url, firstArg, countArg, imagesArg, dir] = process.argv.slice(2);
const first = Number(firstArg);
const count = Number(countArg);
const images = Number(imagesArg);
const db = new Level<string, unknown>(dir!, { valueEncoding: 'json' });
await db.open();
const agents: HollowAgent[] = [];
if (process.env.HOLLOW_MEM) setInterval(() => process.stderr.write(`hollow: ${agents.length} agents, heap ${Math.round(process.memoryUsage().heapUsed / 1e6)} MB, rss ${Math.round(process.memoryUsage().rss / 1e6)} MB\n`), 5000).unref();
const BATCH = 50;
for (let i = 0; i < count; i += BATCH) {
  agents.push(...(await Promise.all(Array.from({ length: Math.min(BATCH, count - i) }, (_, j) => startHollowAgent(db, url!, first + i + j, images)))));
}
const deadline = Date.now() + 300_000;
while (!agents.every((a) => a.device.applied.revision !== null && a.device.status.sent.writes > 0)) {
  if (Date.now() > deadline) {
    process.stdout.write(`${JSON.stringify({ ready: false, pending: agents.filter((a) => a.device.applied.revision === null).length })}\n`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 200));
}
process.stdout.write(`${JSON.stringify({ ready: true, count: agents.length })}\n`);

// SIGUSR2 starts a CPU profile of the agents, SIGUSR1 writes it to $HOLLOW_PROFILE (the bench's --profile-fleet)
if (process.env.HOLLOW_PROFILE) {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  process.on('SIGUSR2', () => void session.post('Profiler.start'));
  process.on('SIGUSR1', () => void session.post('Profiler.stop').then(({ profile }) => {
    writeFileSync(process.env.HOLLOW_PROFILE!, JSON.stringify(profile));
    process.stdout.write(`${JSON.stringify({ profiled: process.env.HOLLOW_PROFILE })}\n`);
  }));
}

process.once('SIGTERM', () => {
  void (async () => {
    const report = {
      statusWrites: agents.reduce((n, a) => n + a.device.status.sent.writes, 0),
      statusBytes: agents.reduce((n, a) => n + a.device.status.sent.bytes, 0),
      auditRecords: agents.reduce((n, a) => n + a.device.outbox.sent.records, 0),
    };
    await Promise.all(agents.map(async (a) => {
      await a.device.stop();
      await a.reconciler.stop();
      a.engine.close();
    }));
    await db.close();
    process.stdout.write(`${JSON.stringify(report)}\n`);
    process.exit(0);
  })();
});
