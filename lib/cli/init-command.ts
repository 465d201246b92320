import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { displayPath } from '../config/load-config.ts';
import { stringOption, type CommandRun } from './command.ts';
import { expectPositionals } from './common-options.ts';
import { InputError } from '../diagnostics.ts';
import { ExitCode } from './output.ts';
import { writeFileAtomically } from './write-file.ts';

const CONFIG = `# The VMs to move. Add one with: npx kvmigrate pull <namespace>/<vm> --add --to <destination namespace>
# Every field: https://github.com/kvmigrate/kvmigrate#configuration-migrationsyaml
apiVersion: kvmigrate.io/v1alpha1
kind: MigrationSet
migrations: []
`;

const WORKFLOW = `# Fails when dist/ is not what migrations.yaml compiles to, with a unified diff of each stale file.
name: kvmigrate
on: [push, pull_request]
jobs:
  dist-is-current:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - run: npx --yes kvmigrate synth --check
`;

const SNIPPET = `## Moving VMs

This repository moves KubeVirt VMs with kvmigrate: \`migrations.yaml\` lists them, \`vms/\` holds their source
manifests, \`dist/\` what Argo CD applies. Add a VM with \`npx kvmigrate pull <namespace>/<vm> --add --to <namespace>\`,
then \`npx kvmigrate synth\` and commit all three; follow it with \`npx kvmigrate status --watch\`.
`;

/** `kvmigrate init`: the files a GitOps repository starts from; refuses to overwrite any of them. */
export const initCommand: CommandRun = (args, streams) => {
  expectPositionals(args, 'init', 0);
  const dir = stringOption(args, 'dir') ?? '.';
  const files: [string, string][] = [
    ['migrations.yaml', CONFIG],
    ['vms/.gitkeep', ''],
    ['.github/workflows/kvmigrate.yml', WORKFLOW],
  ];
  const present = files.map(([path]) => join(dir, path)).filter((path) => existsSync(path));
  if (present.length > 0) {
    throw new InputError(present.map((path) => ({ severity: 'error', message: 'already exists: init writes nothing over a file', location: { file: displayPath(path) } })));
  }
  for (const [path, text] of files) writeFileAtomically(join(dir, path), text);
  streams.stdout(`${files.map(([path]) => `wrote ${displayPath(join(dir, path))}\n`).join('')}\nFor your README:\n\n${SNIPPET}`);
  return ExitCode.OK;
};
