import { loadPlans } from './cluster-options.ts';
import type { CommandRun } from './command.ts';
import { configPath, expectPositionals } from './common-options.ts';
import { ExitCode, UsageError } from './output.ts';
import { USAGE } from './usage.ts';

/** The commands whose argument is a migration name: completion offers the config's. */
const TAKES_MIGRATION = ['diff', 'cutover', 'abort', 'retry', 'status', 'hook-kubeconfig'];

const flagsOf = (command: keyof typeof USAGE) => ['--help', ...Object.keys(USAGE[command].options).map((option) => `--${option}`)].join(' ');

function bash(commands: readonly string[]): string {
  const cases = Object.keys(USAGE)
    .map((command) => `    ${command}) opts="${flagsOf(command as keyof typeof USAGE)}" ;;`)
    .join('\n');
  return `# kvmigrate completion for bash: source <(kvmigrate completion bash)
_kvmigrate() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" opts=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${commands.join(' ')}" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
    ${TAKES_MIGRATION.join('|')}) COMPREPLY=($(compgen -W "$(kvmigrate completion migrations 2>/dev/null)" -- "$cur")) ;;
    help) COMPREPLY=($(compgen -W "${Object.keys(USAGE).join(' ')}" -- "$cur")) ;;
  esac
}
complete -F _kvmigrate kvmigrate
`;
}

function fish(commands: readonly string[]): string {
  const lines = [
    '# kvmigrate completion for fish: kvmigrate completion fish | source',
    'complete -c kvmigrate -f',
    `complete -c kvmigrate -n __fish_use_subcommand -a "${commands.join(' ')}"`,
    ...Object.keys(USAGE).flatMap((command) =>
      ['help', ...Object.keys(USAGE[command as keyof typeof USAGE].options)].map((option) => `complete -c kvmigrate -n "__fish_seen_subcommand_from ${command}" -l ${option}`),
    ),
    `complete -c kvmigrate -n "__fish_seen_subcommand_from ${TAKES_MIGRATION.join(' ')}" -a "(kvmigrate completion migrations 2>/dev/null)"`,
  ];
  return `${lines.join('\n')}\n`;
}

/** `kvmigrate completion bash|zsh|fish`: a completion script; `completion migrations`: the config's migration names. */
export const completionCommand: CommandRun = (args, streams) => {
  expectPositionals(args, 'completion', 1, 'one of bash, zsh, fish, migrations');
  const commands = [...Object.keys(USAGE), 'help'];
  const shell = args.positionals[0];
  if (shell === 'migrations') {
    streams.stdout(loadPlans(configPath(args)).plans.map((plan) => `${plan.name}\n`).join(''));
    return ExitCode.OK;
  }
  if (shell === 'bash') streams.stdout(bash(commands));
  // zsh runs bash completion functions through bashcompinit.
  else if (shell === 'zsh') streams.stdout(`# kvmigrate completion for zsh: source <(kvmigrate completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bash(commands)}`);
  else if (shell === 'fish') streams.stdout(fish(commands));
  else throw new UsageError(`unknown shell "${shell}" (use bash, zsh or fish)`);
  return ExitCode.OK;
};
