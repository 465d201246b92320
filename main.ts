// The cdk8s app: `cdk8s synth` runs it. It does exactly what `kvmigrate synth` does, into dist/ (or $KVMIGRATE_OUT).
// cdk8s-cli empties its own output folder before it runs the app, so cdk8s.yaml points it at .tmp/cdk8s, not at
// dist/: a broken config then leaves dist/ as it was. After a successful synthesis that folder becomes a link to the
// out dir, so cdk8s lists the manifests as it always does.
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { relative, dirname, resolve } from 'node:path';
import { defaultConfigPath } from './lib/cli/common-options.ts';
import { runSynth } from './lib/cli/synth-command.ts';
import { processStreams, reportFailure } from './lib/cli/output.ts';

const out = process.env.KVMIGRATE_OUT ?? 'dist';
const cdk8sOut = process.env.CDK8S_OUTDIR;
let code: number;
try {
  code = runSynth({ config: defaultConfigPath(), out, output: 'text' }, processStreams);
  if (code === 0 && cdk8sOut && resolve(cdk8sOut) !== resolve(out)) {
    rmSync(cdk8sOut, { recursive: true, force: true });
    mkdirSync(dirname(resolve(cdk8sOut)), { recursive: true });
    symlinkSync(relative(dirname(resolve(cdk8sOut)), resolve(out)), cdk8sOut);
  }
} catch (error) {
  code = reportFailure(processStreams, error);
}
// Under cdk8s-cli a failed synthesis has printed its diagnostics already: it ends without creating cdk8s's folder,
// which cdk8s reports in one line and exit 1, instead of the stack trace it prints for an app's non-zero exit.
process.exitCode = cdk8sOut ? 0 : code;
