// The cdk8s app: `cdk8s synth` runs it. It does exactly what `kvmigrate synth` does, into dist/ (or $KVMIGRATE_OUT).
// cdk8s-cli empties its own output folder before it runs the app, so cdk8s.yaml points it at .tmp/cdk8s, not at
// dist/: a broken config then leaves dist/ as it was. After a successful synthesis that folder becomes a link to the
// out dir, so cdk8s lists the manifests as it always does. Any other cdk8s output folder (`-o`) is refused.
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { relative, dirname, resolve } from 'node:path';
import { defaultConfigPath } from './lib/cli/common-options.ts';
import { runSynth } from './lib/cli/synth-command.ts';
import { safeStreams } from './lib/cli/command.ts';
import { processStreams, reportFailure, UsageError } from './lib/cli/output.ts';

const out = process.env.KVMIGRATE_OUT ?? 'dist';
// Printed as the command line prints: control characters escaped, credentials redacted.
const streams = safeStreams(processStreams);
const cdk8sOut = process.env.CDK8S_OUTDIR;
/** cdk8s-cli's output folder as cdk8s.yaml names it: the only one kvmigrate lets cdk8s-cli empty. */
const OWN_CDK8S_OUT = '.tmp/cdk8s';
let code: number;
try {
  // `cdk8s synth -o X` (or another `output:`) has deleted X already (cdk8s-cli's `synth` removes it before running
  // the app): say so, and write nothing there, nor a link in place of it.
  if (cdk8sOut && resolve(cdk8sOut) !== resolve(OWN_CDK8S_OUT)) {
    throw new UsageError(
      `cdk8s-cli's output folder is ${cdk8sOut}, not ${OWN_CDK8S_OUT} (cdk8s.yaml): cdk8s-cli has emptied it before running kvmigrate. ` +
        `kvmigrate writes nothing there; run \`npm run cdk8s synth\` without -o (or \`kvmigrate synth --out DIR\`) and keep \`output: ${OWN_CDK8S_OUT}\` in cdk8s.yaml`,
    );
  }
  code = runSynth({ config: defaultConfigPath(), out, output: 'text' }, streams);
  if (code === 0 && cdk8sOut && resolve(cdk8sOut) !== resolve(out)) {
    rmSync(cdk8sOut, { recursive: true, force: true });
    mkdirSync(dirname(resolve(cdk8sOut)), { recursive: true });
    symlinkSync(relative(dirname(resolve(cdk8sOut)), resolve(out)), cdk8sOut);
  }
} catch (error) {
  code = reportFailure(streams, error);
}
// Under cdk8s-cli a failed synthesis has printed its diagnostics already: it ends without creating cdk8s's folder,
// which cdk8s reports in one line and exit 1, instead of the stack trace it prints for an app's non-zero exit.
process.exitCode = cdk8sOut ? 0 : code;
