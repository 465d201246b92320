// The cdk8s app: `cdk8s synth` runs this with CDK8S_OUTDIR set. It does exactly what `kvmigrate synth` does.
import { defaultConfigPath } from './lib/cli/common-options.ts';
import { runSynth } from './lib/cli/synth-command.ts';
import { processStreams, reportFailure } from './lib/cli/output.ts';

try {
  process.exitCode = runSynth({ config: defaultConfigPath(), out: process.env.CDK8S_OUTDIR ?? 'dist', output: 'text' }, processStreams);
} catch (error) {
  process.exitCode = reportFailure(processStreams, error);
}
