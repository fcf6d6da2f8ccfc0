/**
 * `imagectl completion bash|zsh` prints a completion script; the script runs the hidden
 * `imagectl __complete LINE`, which prints one candidate per line: commands, resource types,
 * flags and their values, and live object names from the agent (nothing when it is not there).
 */
import { Command } from 'commander';
import { CliError } from '../client.js';
import { clientFor, type GlobalOpts } from '../context.js';
import { complete, forBash, splitLine } from '../complete.js';
import type { Resource } from '../resources.js';

const BASH = `# bash completion for imagectl. Load it with: source <(imagectl completion bash)
# or install it: imagectl completion bash > /etc/bash_completion.d/imagectl
_imagectl_complete() {
  local IFS=$'\\n'
  COMPREPLY=($(IMAGECTL_COMP_WORDBREAKS="$COMP_WORDBREAKS" "\${COMP_WORDS[0]}" __complete "\${COMP_LINE:0:$COMP_POINT}" 2>/dev/null))
  if [[ \${#COMPREPLY[@]} -eq 1 && \${COMPREPLY[0]} == *= ]]; then compopt -o nospace 2>/dev/null; fi
}
complete -o default -F _imagectl_complete imagectl
`;

const ZSH = `#compdef imagectl
# zsh completion for imagectl. Load it with: source <(imagectl completion zsh)
# or install it as _imagectl in a directory of $fpath
_imagectl() {
  local -a candidates
  candidates=("\${(@f)$(IMAGECTL_COMP_WORDBREAKS= "\${words[1]}" __complete "\${(j: :)words[1,CURRENT]}" 2>/dev/null)}")
  if (( \${#candidates} )) && [[ -n "\${candidates[1]}" ]]; then
    compadd -Q -- "\${candidates[@]}"
  else
    _files
  fi
}
if [[ "\${funcstack[1]}" = _imagectl ]]; then _imagectl "$@"; else compdef _imagectl imagectl; fi
`;

export function completionCommand(): Command {
  return new Command('completion')
    .description('print a shell completion script: source <(imagectl completion bash)')
    .argument('<shell>', 'bash | zsh')
    .action((shell: string) => {
      if (shell === 'bash') process.stdout.write(BASH);
      else if (shell === 'zsh') process.stdout.write(ZSH);
      else throw new CliError(`error: unsupported shell ${JSON.stringify(shell)}: bash or zsh`);
    });
}

/** The global options typed on the line being completed (they say which agent to ask). */
function globalsOf(words: readonly string[], env: GlobalOpts): GlobalOpts {
  const o = { ...env };
  const keys: Record<string, keyof GlobalOpts> = { '--state-dir': 'stateDir', '--socket': 'socket', '--server': 'server', '--token-file': 'tokenFile' };
  words.forEach((w, i) => {
    const [flag, inline] = w.split(/=(.*)/s, 2) as [string, string | undefined];
    const key = keys[flag];
    if (key) o[key] = inline ?? words[i + 1];
  });
  return o;
}

/** Live names, asked of the agent within a second; none when it does not answer. */
async function liveNames(g: GlobalOpts, r: Resource): Promise<string[]> {
  const stop = AbortSignal.timeout(1500);
  try {
    const list = await clientFor(g).request<{ items?: { metadata: { name: string }; status?: { tags?: string[] } }[] }>('GET', r.listPath(false), undefined, stop);
    return (list.items ?? []).flatMap((i) => (r.name === 'images' ? (i.status?.tags ?? []) : [i.metadata.name]));
  } catch {
    return [];
  }
}

/** The hidden `__complete LINE`; `program` builds the whole CLI (its commands and flags are what is offered). */
export function completeCommand(program: () => Promise<Command>): Command {
  return new Command('__complete')
    .description('print completion candidates for a command line (used by the completion scripts)')
    .argument('<line>', 'the command line up to the cursor')
    .action(async (line: string, _o: unknown, cmd: Command) => {
      const words = splitLine(line);
      const g = globalsOf(words, cmd.optsWithGlobals<GlobalOpts>());
      const candidates = await complete(line, { program: await program(), names: (r) => liveNames(g, r) });
      const out = forBash(candidates, words.at(-1) ?? '', process.env.IMAGECTL_COMP_WORDBREAKS ?? '');
      process.stdout.write(out.map((c) => `${c}\n`).join(''));
    });
}
