import { displayPath } from '../config/load-config.ts';
import { ARGOCD_FOLDER } from '../synth/render.ts';
import { synthesize } from '../synth/synthesize.ts';
import { stringOption, type CommandRun } from './command.ts';
import { configPath, expectPositionals, outputFormat } from './common-options.ts';
import { ExitCode, printDiagnostics, type Streams } from './output.ts';

export interface SynthArguments {
  readonly config: string;
  readonly out: string;
  readonly output: 'text' | 'json';
}

/** Synthesizes and reports: warnings on stderr, the summary on stdout. Input errors propagate to the caller. */
export function runSynth(args: SynthArguments, streams: Streams): number {
  const result = synthesize({ configPath: args.config, outdir: args.out });
  printDiagnostics(streams, result.warnings);
  if (args.output === 'json') {
    const summary = {
      outdir: result.outdir,
      clusters: result.clusters,
      files: result.files.map((f) => ({ path: f.path, cluster: f.cluster, migration: f.migration, objects: f.objects })),
      migrations: result.plans.map((p) => ({
        name: p.name,
        vm: p.vm,
        migrationID: p.migrationID,
        source: p.source,
        destination: p.destination,
        sendTo: p.connectURL ? 'static' : 'hook',
      })),
      warnings: result.warnings.length,
    };
    streams.stdout(`${JSON.stringify(summary, null, 2)}\n`);
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

export const synthCommand: CommandRun = (args, streams) => {
  expectPositionals(args, 'synth', 0);
  return runSynth({ config: configPath(args), out: stringOption(args, 'out') ?? 'dist', output: outputFormat(args) }, streams);
};
