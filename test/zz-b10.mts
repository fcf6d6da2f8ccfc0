import { b10 } from './bench/b10-disk.js';
import { BenchAgent } from './bench/lib/agent.js';
const orig = BenchAgent.prototype.dispose;
BenchAgent.prototype.dispose = async function () { (await import('node:fs')).appendFileSync('/tmp/dl/agent.log', this.proc.log); return orig.call(this); };
const r = await b10({ quick: false, reps: 1, resultsDir: '/tmp/dl', log: console.log });
console.log(JSON.stringify(r.metrics.map((m) => [m.name, m.imagectl.median, m.baseline?.median])));
