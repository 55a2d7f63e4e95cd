import type { Command } from 'commander';

/**
 * A bash completion script for every command of `program` (the client's and the admin ones):
 * subcommands, their options, and file names where a command takes paths.
 */
export function bashCompletion(program: Command): string {
  const top = program.commands.map((c) => c.name());
  const cases: string[] = [];
  for (const c of program.commands) {
    const subs = c.commands.map((s) => s.name());
    const flags = c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f));
    const words = [...subs, ...flags, '--help'].join(' ');
    cases.push(`    ${c.name()}) words="${words}" ;;`);
  }
  return `# bash completion for stowage: eval "$(stowage completion bash)", or save it as
# ~/.local/share/bash-completion/completions/stowage
_stowage() {
  local cur prev words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=( $(compgen -W "${top.join(' ')} --help --version" -- "$cur") )
    return
  fi
  case "$prev" in
    -o|--output|--data-dir) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
    --url|--key|--name|--title|--to|--chunk-size) return ;;
  esac
  case "\${COMP_WORDS[1]}" in
${cases.join('\n')}
    *) words="--help" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  elif [[ "\${COMP_WORDS[1]}" == upload ]]; then
    COMPREPLY=( $(compgen -f -- "$cur") )
  else
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
  fi
}
complete -o filenames -o bashdefault -F _stowage stowage
`;
}
