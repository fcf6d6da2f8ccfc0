import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, readConfig } from './agent-config.js';
import { buildProgram } from './program.js';

describe('the agent config file', () => {
  it('agent --help names every key the file takes, each with a flag the agent has', async () => {
    const program = await buildProgram();
    const agent = program.commands.find((c) => c.name() === 'agent')!;
    let help = '';
    agent.configureOutput({ writeOut: (s) => (help += s) });
    agent.outputHelp();
    const flags = new Set([...agent.options, ...program.options].map((o) => o.long));
    for (const k of CONFIG_KEYS) {
      expect(help, k.key).toMatch(new RegExp(`^  ${k.key}: .*# ${k.flag}: `, 'm'));
      expect(flags.has(k.flag), k.flag).toBe(true);
    }
    expect(CONFIG_KEYS.length).toBe(15);
  });

  it('takes the keys, refuses an unknown one by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ictl-cfg-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'interval: 10s\nmetricsListen: 127.0.0.1:9464\nnodeLabels: {site: a}\n');
    expect(readConfig(good)).toEqual({ interval: '10s', metricsListen: '127.0.0.1:9464', nodeLabels: { site: 'a' } });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'intervall: 10s\n');
    expect(() => readConfig(bad)).toThrow(`${bad}: unknown field "intervall"`);
    const list = join(dir, 'list.yaml');
    writeFileSync(list, '- a\n');
    expect(() => readConfig(list)).toThrow('want a mapping of config keys');
  });
});
