/**
 * Shell completion (`imagectl completion bash|zsh` installs a function that runs `imagectl
 * __complete LINE`): commands, resource types, flags and their values, and the live names of
 * objects, which it asks the agent for (and quietly goes without when the agent is not there).
 */
import type { Command, Option } from 'commander';
import { FORMATS } from './printer.js';
import { findResource, RESOURCES, type Resource } from './resources.js';

export interface CompletionContext {
  /** the whole CLI */
  program: Command;
  /** the names of the live objects of a type ([] when the agent cannot say) */
  names(resource: Resource): Promise<string[]>;
}

/** Split a command line as a shell would (quotes, backslashes); the last word is the one being typed ('' after a space). */
export function splitLine(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else if (/\s/.test(c)) {
      if (cur !== '' || (i > 0 && /["']/.test(line[i - 1]!))) words.push(cur);
      cur = '';
    } else cur += c;
  }
  words.push(cur);
  return words;
}

const takesValue = (o: Option) => o.required || o.optional;

function findOption(cmd: Command | undefined, program: Command, word: string): Option | undefined {
  const flag = word.split('=')[0]!;
  return [...(cmd?.options ?? []), ...program.options].find((o) => o.long === flag || o.short === flag);
}

/** The command word and the positional arguments typed after it (option values skipped). */
function parse(program: Command, words: readonly string[]): { cmd?: Command; positionals: string[] } {
  let cmd: Command | undefined;
  const positionals: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith('-')) {
      const o = findOption(cmd, program, w);
      if (o && takesValue(o) && !w.includes('=')) i++;
      continue;
    }
    if (!cmd) cmd = program.commands.find((c) => c.name() === w || c.aliases().includes(w));
    else positionals.push(w);
    if (!cmd) return { positionals: [] };
  }
  return { cmd, positionals };
}

/** Resource type names to offer: the README's words first; every alias when none of them fits. */
function kinds(plural: boolean, typed: string): string[] {
  const main = RESOURCES.map((r) => (plural ? r.name : r.name === 'policies' ? 'policy' : r.singular));
  const fit = main.filter((k) => k.startsWith(typed));
  return fit.length ? fit : RESOURCES.flatMap((r) => r.aliases);
}

/** What may follow an option that takes a value. */
function optionValues(o: Option): string[] {
  if (o.long === '--output') return FORMATS;
  if (o.long === '--for') return ['condition=Ready', 'delete', 'jsonpath='];
  return o.argChoices ?? [];
}

const OBJECT_COMMANDS: Record<string, boolean> = { get: true, describe: false, delete: false, wait: false };

async function positional(ctx: CompletionContext, cmd: Command, positionals: readonly string[], current: string): Promise<string[]> {
  const name = cmd.name();
  if (name in OBJECT_COMMANDS) {
    const slash = current.indexOf('/');
    const typed = slash > 0 ? findResource(current.slice(0, slash)) : undefined;
    if (typed) return (await ctx.names(typed)).map((n) => `${current.slice(0, slash)}/${n}`);
    if (positionals.length === 0) return kinds(OBJECT_COMMANDS[name]!, current);
    const first = positionals[0]!;
    const r = first.includes('/') || first.includes(',') ? undefined : findResource(first);
    return r ? ctx.names(r) : [];
  }
  if (name === 'refresh') return positionals.length === 0 ? ['workload'] : ctx.names(findResource('workloads')!);
  if (name === 'rmi') return ctx.names(findResource('images')!);
  if (name === 'completion') return positionals.length === 0 ? ['bash', 'zsh'] : [];
  if (name === 'new' || name === 'explain') return positionals.length === 0 ? ['imagepolicy', 'workload'] : [];
  return [];
}

function flagsOf(cmd: Command | undefined, program: Command): string[] {
  const opts = [...(cmd?.options ?? []), ...program.options].filter((o) => !o.hidden);
  return opts.flatMap((o) => [o.long, o.short]).filter((f): f is string => f !== undefined);
}

/** The candidates for the last word of `line` (a command line, the program's name first). */
export async function complete(line: string, ctx: CompletionContext): Promise<string[]> {
  const words = splitLine(line).slice(1);
  const current = words.pop() ?? '';
  const { program } = ctx;
  const { cmd, positionals } = parse(program, words);
  const prev = words.at(-1);
  const prevOpt = prev?.startsWith('-') && !prev.includes('=') ? findOption(cmd, program, prev) : undefined;
  let out: string[];
  if (prevOpt && takesValue(prevOpt)) out = optionValues(prevOpt);
  else if (current.startsWith('--') && current.includes('=')) {
    const o = findOption(cmd, program, current);
    out = o ? optionValues(o).map((v) => `${o.long}=${v}`) : [];
  } else if (current.startsWith('-')) out = flagsOf(cmd, program);
  else if (!cmd) out = [...program.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).map((c) => c.name()), 'help'];
  else out = await positional(ctx, cmd, positionals, current);
  return [...new Set(out)].filter((c) => c.startsWith(current));
}

/**
 * What bash puts in place: bash splits words at COMP_WORDBREAKS (`:` and `=` among them), so a
 * candidate loses what comes before the last break in the word being typed (`app:1` → `1`).
 */
export function forBash(candidates: readonly string[], current: string, wordbreaks: string): string[] {
  const breaks = [...wordbreaks].filter((c) => !/\s/.test(c));
  const cut = Math.max(-1, ...breaks.map((b) => current.lastIndexOf(b)));
  return cut < 0 ? [...candidates] : candidates.map((c) => c.slice(cut + 1));
}
