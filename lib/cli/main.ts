import { VERSION } from '../package-info.generated.ts';
import { runCommand, type CommandRun } from './command.ts';
import { USAGE } from './usage.ts';
import { ExitCode, processStreams, reportFailure, UsageError, type Streams } from './output.ts';
import { didYouMean } from './suggest.ts';

/** The help's command groups, in order: the lifecycle of a move first, as a user meets it. */
const GROUPS = ['Move a VM, in this order', 'Set up the clusters', 'Other'] as const;

/**
 * The commands, each loaded only when it runs: a command pays at start-up only for its own dependencies (synth for
 * the compiler, the cluster commands for the Kubernetes client). `group` indexes {@link GROUPS}.
 */
const COMMANDS: Record<keyof typeof USAGE, { readonly group: number; readonly summary: string; readonly load: () => Promise<CommandRun> }> = {
  init: { group: 0, summary: 'start a GitOps repository: migrations.yaml, vms/, a CI workflow running synth --check', load: async () => (await import('./init-command.ts')).initCommand },
  pull: { group: 0, summary: 'write a clean source manifest from a live VM (and add it to the config)', load: async () => (await import('./pull-command.ts')).pullCommand },
  preflight: { group: 0, summary: 'check both ends of every migration before committing it', load: async () => (await import('./preflight-command.ts')).preflightCommand },
  synth: { group: 0, summary: 'compile migrations.yaml into ordered manifests under dist/', load: async () => (await import('./synth-command.ts')).synthCommand },
  diff: { group: 0, summary: 'show what the next sync would change in the clusters, object by object (like kubectl diff)', load: async () => (await import('./diff-command.ts')).diffCommand },
  status: { group: 0, summary: "show (or --watch) every migration's progress", load: async () => (await import('./status-command.ts')).statusCommand },
  cutover: {
    group: 0,
    summary: 'after success: make the destination VM final, halt a managed source VM (edits the config)',
    load: async () => (await import('./lifecycle-command.ts')).lifecycleCommand('cutover'),
  },
  abort: {
    group: 0,
    summary: 'stop a migration, keeping the receiver unless --remove-receiver (edits the config)',
    load: async () => (await import('./lifecycle-command.ts')).lifecycleCommand('abort'),
  },
  retry: { group: 0, summary: 'migrate again as a new attempt, with a new migrationID (edits the config)', load: async () => (await import('./lifecycle-command.ts')).lifecycleCommand('retry') },
  'argocd-health': { group: 1, summary: 'print the Argo CD health checks the migration waves need', load: async () => (await import('./argocd-health-command.ts')).argocdHealthCommand },
  'hook-kubeconfig': {
    group: 1,
    summary: "cross-cluster: make the hook's destination kubeconfig Secret (a bound token, the server and CA)",
    load: async () => (await import('./hook-kubeconfig-command.ts')).hookKubeconfigCommand,
  },
  version: { group: 1, summary: 'print the version; with --context, the cluster\'s KubeVirt and CDI versions and the feature gate', load: async () => (await import('./version-command.ts')).versionCommand },
  hook: { group: 2, summary: 'send: create both migrations from the clusters\' state (the post-sync hook)', load: async () => (await import('./hook-command.ts')).hookCommand },
  completion: { group: 2, summary: 'print a bash, zsh or fish completion script (commands, flags, migration names)', load: async () => (await import('./completion-command.ts')).completionCommand },
};

const COMMAND_WIDTH = Math.max(...Object.keys(COMMANDS).map((name) => name.length));

const HELP = `kvmigrate: live-migrate KubeVirt VMs between namespaces and clusters through Git.

Usage: kvmigrate <command> [options]

${GROUPS.map(
  (title, group) =>
    `${title}:\n${Object.entries(COMMANDS)
      .filter(([, command]) => command.group === group)
      .map(([name, { summary }]) => `  ${name.padEnd(COMMAND_WIDTH)}  ${summary}\n`)
      .join('')}`,
).join('\n')}  ${'help'.padEnd(COMMAND_WIDTH)}  show this help, or with a command its help: kvmigrate help synth

Options:
  -h, --help     show help (also: kvmigrate <command> --help)
      --version  print the version
`;

function unknownCommand(name: string): UsageError {
  return new UsageError(`unknown command "${name}"${didYouMean(name, Object.keys(COMMANDS))}`);
}

/** Runs the command line `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], streams: Streams = processStreams): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' && rest.length > 0) {
    const [topic] = rest;
    if (rest.length > 1) return reportFailure(streams, new UsageError(`help takes one command (got "${rest.join(' ')}")`));
    if (!Object.hasOwn(COMMANDS, topic!)) return reportFailure(streams, unknownCommand(topic!));
    streams.stdout(USAGE[topic as keyof typeof USAGE].help);
    return ExitCode.OK;
  }
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    streams.stdout(HELP);
    return name === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  if (name === '--version') {
    streams.stdout(`${VERSION}\n`);
    return ExitCode.OK;
  }
  if (!Object.hasOwn(COMMANDS, name)) return reportFailure(streams, unknownCommand(name));
  const known = name as keyof typeof USAGE;
  // The command's code loads only once its command line has parsed and is not a request for help.
  return runCommand({ ...USAGE[known], run: async (args, runStreams) => (await COMMANDS[known].load())(args, runStreams) }, rest, streams, name);
}
