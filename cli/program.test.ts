import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, COMMANDS, commandWord, findCommand, programFor } from './program.js';

const names = (c: Command) => c.commands.map((s) => [s.name(), ...s.aliases()]);

describe('the lazy command table', () => {
  it('lists every command of the full program, with its aliases, in order, and nothing else', async () => {
    const full = await buildProgram();
    expect(COMMANDS.map((e) => [e.name, ...(e.aliases ?? [])])).toEqual(names(full));
  });

  it('loads for each entry the command of that name', async () => {
    for (const e of COMMANDS) {
      const c = await e.load();
      expect([c.name(), ...c.aliases()]).toEqual([e.name, ...(e.aliases ?? [])]);
    }
  });

  it('gives each command, loaded alone, the same help, options and exit handling as in the full program', async () => {
    const full = await buildProgram();
    for (const e of COMMANDS) {
      const alone = await programFor([e.name]);
      expect(names(alone)).toEqual([[e.name, ...(e.aliases ?? [])]]);
      const a = alone.commands[0]!;
      const f = full.commands.find((c) => c.name() === e.name)!;
      expect(a.helpInformation()).toBe(f.helpInformation());
      const top = (c: Command) => ({ name: c.name(), description: c.description(), options: c.options.map((o) => [o.flags, o.envVar]) });
      expect(top(alone)).toEqual(top(full));
      // exitOverride: a usage error throws (diff's own override turns exit 1 into 2)
      const internals = (c: Command) => ({ exit: typeof (c as unknown as { _exitCallback?: unknown })._exitCallback, help: (c as unknown as { _showHelpAfterError: unknown })._showHelpAfterError });
      expect(internals(a)).toEqual(internals(f));
    }
  });

  it('uses the full program for help, version, no command and unknown commands', async () => {
    for (const args of [[], ['--help'], ['-h'], ['help'], ['help', 'get'], ['--version'], ['nope'], ['--state-dir', 'x'], ['--bogus', 'get'], ['get', '--state-dir']]) {
      expect((await programFor(args)).commands.length, args.join(' ')).toBe(COMMANDS.length);
    }
  });
});

describe('commandWord', () => {
  it('skips the program options and their values', () => {
    expect(commandWord(['get', 'images'])).toBe('get');
    expect(commandWord(['--state-dir', '/x', 'get', 'images'])).toBe('get');
    expect(commandWord(['--socket', '/x.sock', '--state-dir=/y', 'apply', '-f', 'd'])).toBe('apply');
    expect(commandWord(['--socket=/x.sock', 'version', '--client'])).toBe('version');
  });

  it('gives up on any other option before the command, and on a missing value', () => {
    expect(commandWord(['--help', 'get'])).toBeUndefined();
    expect(commandWord(['-o', 'json', 'get'])).toBeUndefined();
    expect(commandWord(['--state-dir'])).toBeUndefined();
    // a program option without its value, anywhere: the program's error shows the full help
    expect(commandWord(['get', 'images', '--socket'])).toBeUndefined();
    expect(commandWord([])).toBeUndefined();
  });

  it('finds commands by name only when known', () => {
    expect(findCommand('diff')?.ownExit).toBe(true);
    expect(findCommand('get')?.ownExit).toBeUndefined();
    expect(findCommand('gets')).toBeUndefined();
    expect(findCommand(undefined)).toBeUndefined();
  });
});
