import { describe, expect, it } from 'vitest';
import { complete, forBash, splitLine } from './complete.js';
import { buildProgram } from './program.js';
import type { Resource } from './resources.js';

const LIVE: Record<string, string[]> = { policies: ['cleanup', 'plant-7'], workloads: ['sensor'], images: ['fixture/a:1', 'fixture/a:2'] };
const asked: string[] = [];
const ctx = async () => ({ program: await buildProgram(), names: async (r: Resource) => (asked.push(r.name), LIVE[r.name] ?? []) });
const at = async (line: string) => complete(line, await ctx());

describe('completion candidates', () => {
  it('commands first, never the hidden helper', async () => {
    const all = await at('imagectl ');
    expect(all).toEqual(expect.arrayContaining(['get', 'describe', 'wait', 'completion', 'help']));
    expect(all).not.toContain('__complete');
    expect(await at('imagectl de')).toEqual(['delete', 'describe']);
  });

  it('resource types: get pol completes to the policy kind; other aliases when the main names do not fit', async () => {
    expect(await at('imagectl get pol')).toEqual(['policies']);
    expect(await at('imagectl describe pol')).toEqual(['policy']);
    expect(await at('imagectl get imagep')).toEqual(['imagepolicy', 'imagepolicies']);
    expect(await at('imagectl --state-dir /tmp/x get w')).toEqual(['workloads']);
  });

  it('live names after a type, and TYPE/NAME', async () => {
    expect(await at('imagectl describe policy ')).toEqual(['cleanup', 'plant-7']);
    expect(await at('imagectl describe policy pl')).toEqual(['plant-7']);
    expect(await at('imagectl get workload/')).toEqual(['workload/sensor']);
    expect(await at('imagectl refresh workload ')).toEqual(['sensor']);
    expect(await at('imagectl get images fixture/a:')).toEqual(['fixture/a:1', 'fixture/a:2']);
    asked.length = 0;
    expect(await at('imagectl get images,policies ')).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('flags of the command and the program, and the values of -o, --for and choices', async () => {
    expect(await at('imagectl get --wa')).toEqual(['--watch', '--watch-only']);
    expect(await at('imagectl get --sta')).toEqual(['--state-dir']);
    expect(await at('imagectl get images -o ')).toEqual(expect.arrayContaining(['json', 'yaml', 'name', 'wide', 'jsonpath=', 'custom-columns=']));
    expect(await at('imagectl get images --output=j')).toEqual(['--output=json', '--output=jsonpath=', '--output=jsonpath-file=']);
    expect(await at('imagectl wait --for=c')).toEqual(['--for=condition=Ready']);
    expect(await at('imagectl agent --default-pull-policy ')).toEqual(['Always', 'IfNotPresent', 'Never']);
    expect(await at('imagectl completion ')).toEqual(['bash', 'zsh']);
    // an option's value is not taken for a positional argument
    expect(await at('imagectl get -o json pol')).toEqual(['policies']);
  });
});

describe('the shell side', () => {
  it('splits a line as a shell does; the last word is the one being typed', () => {
    expect(splitLine('imagectl get ')).toEqual(['imagectl', 'get', '']);
    expect(splitLine(`imagectl get -o 'jsonpath={.a b}' x`)).toEqual(['imagectl', 'get', '-o', 'jsonpath={.a b}', 'x']);
    expect(splitLine('imagectl describe a\\ b')).toEqual(['imagectl', 'describe', 'a b']);
  });

  it('gives bash only what follows the last word break of the word being typed', () => {
    expect(forBash(['fixture/a:1', 'fixture/a:2'], 'fixture/a:', '"\'><=;|&(: \t\n')).toEqual(['1', '2']);
    expect(forBash(['--output=json'], '--output=j', '=:')).toEqual(['json']);
    expect(forBash(['policies'], 'pol', '=:')).toEqual(['policies']);
  });
});
