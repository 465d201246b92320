import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { displayPath } from '../config/load-config.ts';
import { ARGOCD_FOLDER } from '../synth/render.ts';
import { synthesize, type SynthesisResult } from '../synth/synthesize.ts';
import { flag, stringOption, type CommandRun } from './command.ts';
import { configPath, expectPositionals, outputFormat } from './common-options.ts';
import { ExitCode, printDiagnostics, UsageError, type Streams } from './output.ts';
import { unifiedDiff } from './unified-diff.ts';

export interface SynthArguments {
  readonly config: string;
  /** The out dir, or `-` for one YAML stream on stdout. */
  readonly out: string;
  readonly output: 'text' | 'json';
  /** Write nothing: compare the out dir with what the config compiles to. */
  readonly check?: boolean;
}

/** The folder `--out -` compiles for (Argo CD's paths and the headers name it), as `kvmigrate synth` would write it. */
const STREAM_OUTDIR = 'dist';

/** Synthesizes and reports: warnings on stderr (in the JSON with `-o json`), the summary on stdout. Input errors propagate to the caller. */
export function runSynth(args: SynthArguments, streams: Streams): number {
  const stream = args.out === '-';
  if (stream && args.check) throw new UsageError('--check compares an out dir: it does not go with --out -');
  if (stream && args.output === 'json') throw new UsageError('--out - prints the manifests: it does not go with -o json');
  const outdir = stream ? STREAM_OUTDIR : args.out;
  const result = synthesize({ configPath: args.config, outdir, write: !stream && !args.check });
  if (args.output !== 'json') printDiagnostics(streams, result.warnings);
  if (stream) {
    streams.stdout(yamlStream(result));
    return ExitCode.OK;
  }
  if (args.check) return check(result, args.config, args.output, streams);
  if (args.output === 'json') {
    streams.stdout(`${JSON.stringify(summary(result), null, 2)}\n`);
    return ExitCode.OK;
  }
  const migrations = result.plans.length;
  streams.stdout(`synthesized ${migrations} migration${migrations === 1 ? '' : 's'} into ${displayPath(result.outdir)}/\n`);
  for (const c of result.clusters) {
    const label = c.cluster === ARGOCD_FOLDER ? `${ARGOCD_FOLDER} (Argo CD):` : `${c.cluster}: ${c.migrations} migration(s),`;
    streams.stdout(`  ${label} ${c.objects} object(s) in ${c.files} file(s)\n`);
  }
  if (result.warnings.length > 0) streams.stdout(`${result.warnings.length} warning(s) on stderr: check them before the first sync\n`);
  return ExitCode.OK;
}

function summary(result: SynthesisResult) {
  return {
    outdir: result.outdir,
    clusters: result.clusters,
    files: result.files.map((f) => ({ path: f.path, cluster: f.cluster, migration: f.migration, objects: f.objects })),
    migrations: result.plans.map((p) => ({
      name: p.name,
      vm: p.vm,
      migrationID: p.migrationID,
      source: p.source,
      destination: p.destination,
      // The hook always creates both migrations; a connectURL only spares it the address discovery.
      address: p.connectURL ?? 'discovered',
    })),
    warnings: result.warnings,
  };
}

/** Every file as one YAML stream, `helm template` style: each file's documents under a `# Source: <folder>/<file>` line. */
function yamlStream(result: SynthesisResult): string {
  return result.files
    .map((file) => {
      const body = file.content.slice(file.content.indexOf('\n') + 1);
      return `---\n# Source: ${file.path}\n${body.startsWith('---\n') ? body.slice(4) : body}`;
    })
    .join('');
}

/** The files under `dir`, by path relative to it with `/` separators. */
function filesUnder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  if (!existsSync(dir)) return files;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path).split(sep).join('/'), readFileSync(path, 'utf8'));
  }
  return files;
}

/** `--check`: exit 1 with a unified diff per differing file when the out dir is not what the config compiles to. */
function check(result: SynthesisResult, config: string, output: 'text' | 'json', streams: Streams): number {
  const onDisk = filesUnder(result.outdir);
  const compiled = new Map(result.files.map((f) => [f.path, f.content]));
  const shown = displayPath(result.outdir);
  const paths = [...new Set([...onDisk.keys(), ...compiled.keys()])].sort();
  const differing = paths.filter((path) => onDisk.get(path) !== compiled.get(path));
  if (output === 'json') {
    const state = (path: string) => (!onDisk.has(path) ? 'missing' : !compiled.has(path) ? 'extra' : 'changed');
    streams.stdout(`${JSON.stringify({ outdir: result.outdir, current: differing.length === 0, files: differing.map((path) => ({ path, state: state(path) })), warnings: result.warnings }, null, 2)}\n`);
  } else {
    for (const path of differing) {
      const name = `${shown}/${path}`;
      streams.stdout(unifiedDiff(onDisk.has(path) ? name : '/dev/null', compiled.has(path) ? `${name} (compiled)` : '/dev/null', onDisk.get(path) ?? '', compiled.get(path) ?? ''));
    }
    streams.stderr(
      differing.length === 0
        ? `${shown}/ is what ${displayPath(config)} compiles to\n`
        : `${shown}/ is not what ${displayPath(config)} compiles to (${differing.length} file${differing.length === 1 ? '' : 's'}): run \`kvmigrate synth\` and commit ${shown}/\n`,
    );
  }
  return differing.length === 0 ? ExitCode.OK : ExitCode.INPUT;
}

export const synthCommand: CommandRun = (args, streams) => {
  expectPositionals(args, 'synth', 0);
  return runSynth({ config: configPath(args), out: stringOption(args, 'out') ?? 'dist', output: outputFormat(args), check: flag(args, 'check') }, streams);
};
