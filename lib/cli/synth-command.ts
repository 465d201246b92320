import { displayPath } from '../config/load-config.ts';
import { ARGOCD_FOLDER } from '../synth/render.ts';
import { synthesize } from '../synth/synthesize.ts';
import { stringOption, type CliCommand } from './command.ts';
import { CONFIG_OPTION, configPath, expectPositionals, OUTPUT_OPTION, outputFormat } from './common-options.ts';
import { ExitCode, printDiagnostics, type Streams } from './output.ts';

const SYNTH_HELP = `Usage: kvmigrate synth [--config FILE] [--out DIR] [-o text|json]

Compiles migrations.yaml into ordered manifests: one folder per cluster under the out dir, one
multi-document YAML file per migration. The out dir is replaced only when synthesis succeeds.

Options:
  -c, --config FILE   the migrations config (default: $KVMIGRATE_CONFIG, else migrations.yaml)
      --out DIR       output folder (default: dist)
  -o, --output FMT    summary format on stdout: text (default) or json
  -h, --help          show this help

Exit codes: 0 written, 1 errors in the config or manifests (nothing written), 2 bad usage.
`;

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

export const synthCommand: CliCommand = {
  options: { ...CONFIG_OPTION, ...OUTPUT_OPTION, out: { type: 'string' } },
  help: SYNTH_HELP,
  run(args, streams) {
    expectPositionals(args, 'synth', 0);
    return runSynth({ config: configPath(args), out: stringOption(args, 'out') ?? 'dist', output: outputFormat(args) }, streams);
  },
};
