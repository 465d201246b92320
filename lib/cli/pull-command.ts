import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { Deadline } from '../cluster/cluster-calls.ts';
import { PULLED_MARK, pullVirtualMachine } from '../cluster/pull-vm.ts';
import { appendMigration, readEditableConfigIfAny } from '../config/edit-config.ts';
import { isDnsLabel } from '../kubernetes/validation.ts';
import { displayPath } from '../config/load-config.ts';
import { createStepLog } from '../cluster/step-log.ts';
import { flag, stringOption, type CommandRun } from './command.ts';
import { clusterFlags, configPath, expectPositionals, outputFormat, type ClusterFlags } from './common-options.ts';
import { clusterSettings, ClusterConnections } from './cluster-options.ts';
import { ExitCode, UsageError, type Streams } from './output.ts';
import { unifiedDiff } from './unified-diff.ts';
import { withFileLock, writeFileAtomically } from './write-file.ts';

interface PullArguments extends ClusterFlags {
  readonly target: string;
  readonly out: string;
  readonly add: boolean;
  readonly to?: string;
  readonly sourceCluster?: string;
  readonly destinationCluster?: string;
  readonly config: string;
  readonly output: 'text' | 'json';
  readonly force: boolean;
  /** Write nothing: print what would change, as unified diffs. */
  readonly dryRun: boolean;
}

/** Same file, whatever the path: both exist and share device and inode (a hard link, a symlink, `a/../b`). */
function sameFile(a: string, b: string): boolean {
  if (!existsSync(a) || !existsSync(b)) return resolve(a) === resolve(b);
  const [x, y] = [statSync(a), statSync(b)];
  return x.dev === y.dev && x.ino === y.ino;
}

/**
 * Refuses to write the manifest over the config (never, even with --force) or over a file kvmigrate did not pull
 * (without --force): `pull ns/migrations --out .` must not replace migrations.yaml, nor a hand-written vms/<vm>.yaml.
 */
function checkManifestTarget(manifestPath: string, configPath: string, force: boolean): void {
  if (sameFile(manifestPath, configPath)) {
    throw new UsageError(`${displayPath(manifestPath)} is the config; kvmigrate never writes a manifest over it: pass another --out`);
  }
  if (force || !existsSync(manifestPath)) return;
  const firstLine = readFileSync(manifestPath, 'utf8').split('\n', 1)[0]!;
  if (!firstLine.startsWith('#') || !firstLine.includes(PULLED_MARK)) {
    throw new UsageError(`${displayPath(manifestPath)} exists and kvmigrate did not write it (its first line does not say "${PULLED_MARK}"); pass --force to replace it, or another --out`);
  }
}

async function runPull(args: PullArguments, streams: Streams): Promise<number> {
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(args.target);
  if (!match) throw new UsageError(`expected <namespace>/<vm>, got "${args.target}"`);
  const [, namespace, , name] = match as unknown as [string, string, string, string];
  if (args.add && !args.to) throw new UsageError('--add needs --to <destination namespace>');
  // Values written into the config: a newline or `: ` would inject keys (a connectURL sending the VM's memory anywhere).
  for (const [flag, value] of [['--to', args.to], ['--destination-cluster', args.destinationCluster], ['--source-cluster', args.sourceCluster]] as const) {
    if (value !== undefined && !isDnsLabel(value)) throw new UsageError(`${flag} must be a DNS label (lowercase letters, digits and '-', at most 63 characters), got ${JSON.stringify(value)}`);
  }
  if (/[\0-\x1f\x7f]/.test(args.out)) throw new UsageError(`--out must not hold control characters, got ${JSON.stringify(args.out)}`);
  if (!args.add && (args.to || args.destinationCluster)) throw new UsageError('--to and --destination-cluster go with --add');

  const manifestPath = resolve(args.out, `${name}.yaml`);
  const configPath = resolve(args.config);
  checkManifestTarget(manifestPath, configPath, args.force);

  const connections = new ClusterConnections(args, clusterSettings(args.config));
  const api = connections.cluster(args.sourceCluster ?? 'default');
  const context = { log: createStepLog('text', streams.stderr), deadline: new Deadline(connections.requestTimeoutMs / 1000), pollMs: 500 };
  const pulled = await pullVirtualMachine(api, context, namespace, name);

  // Compute the config change before writing anything, so a refused --add leaves both files as they were.
  const entry = {
    vm: name,
    sourceNamespace: namespace,
    manifest: relative(dirname(configPath), manifestPath).split('\\').join('/'),
    destinationNamespace: args.to!,
    sourceCluster: args.sourceCluster,
    destinationCluster: args.destinationCluster,
  };
  const configText = () => appendMigration(configPath, readEditableConfigIfAny(configPath), entry);
  if (args.dryRun) {
    const currentText = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);
    const diff = (path: string, text: string) => unifiedDiff(currentText(path) === undefined ? '/dev/null' : displayPath(path), `${displayPath(path)} (after pull)`, currentText(path) ?? '', text);
    streams.stdout(`${diff(manifestPath, pulled.text)}${args.add ? diff(configPath, configText()) : ''}`);
    streams.stderr('dry run: nothing was written\n');
    return ExitCode.OK;
  }
  if (args.add) configText();
  writeFileAtomically(manifestPath, pulled.text);
  // Under a lock, from the file as it is now: an edit made meanwhile is kept.
  if (args.add) withFileLock(configPath, () => writeFileAtomically(configPath, configText()));

  for (const volume of pulled.missing) {
    streams.stderr(`warning: volume "${volume}": neither its claim nor its DataVolume exists; set disks.${volume}.size in the config\n`);
  }
  const disks = pulled.documents.length - 1;
  if (args.output === 'json') {
    streams.stdout(`${JSON.stringify({ manifest: displayPath(manifestPath), vm: `${namespace}/${name}`, disks, missing: pulled.missing, added: args.add ? displayPath(configPath) : null }, null, 2)}\n`);
  } else {
    streams.stdout(`wrote ${displayPath(manifestPath)}: VirtualMachine ${namespace}/${name} and ${disks} disk(s)\n`);
    if (args.add) streams.stdout(`added migration ${name} (${namespace} -> ${args.to}) to ${displayPath(configPath)}\n`);
  }
  return ExitCode.OK;
}


export const pullCommand: CommandRun = (args, streams) => {
  expectPositionals(args, 'pull', 1, 'one <namespace>/<vm>');
  return runPull(
    {
      ...clusterFlags(args),
      target: args.positionals[0]!,
      out: stringOption(args, 'out') ?? 'vms',
      add: flag(args, 'add'),
      to: stringOption(args, 'to'),
      sourceCluster: stringOption(args, 'source-cluster'),
      destinationCluster: stringOption(args, 'destination-cluster'),
      config: configPath(args),
      output: outputFormat(args),
      force: flag(args, 'force'),
      dryRun: flag(args, 'dry-run'),
    },
    streams,
  );
};
