import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { displayPath } from '../config/load-config.ts';
import { manifestYaml } from '../synth/yaml-output.ts';
import { stringOption, type CommandRun } from './command.ts';
import { expectPositionals } from './common-options.ts';
import { InputError } from '../diagnostics.ts';
import { ExitCode, UsageError } from './output.ts';
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

const snippet = (engine: string) => `## Moving VMs

This repository moves KubeVirt VMs with kvmigrate: \`migrations.yaml\` lists them, \`vms/\` holds their source
manifests, \`dist/\` what ${engine} applies. Add a VM with \`npx kvmigrate pull <namespace>/<vm> --add --to <namespace>\`,
then \`npx kvmigrate synth\` and commit all three; follow it with \`npx kvmigrate status --watch\`.
`;

/** The GitOps engine section `--engine` adds to the config, and what init says of it. */
interface EngineSection {
  readonly name: string;
  readonly yaml: string;
  readonly note: string;
}

/**
 * The URL of the `origin` remote of the repository holding `dir`, without credentials (a token in an https remote must
 * not reach a committed file; Argo CD takes them from its repository Secrets). Undefined without one, or without git.
 */
function originUrl(dir: string): { url: string; strippedCredentials: boolean } | undefined {
  const result = spawnSync('git', ['-C', dir, 'remote', 'get-url', 'origin'], { encoding: 'utf8' });
  const url = result.status === 0 ? result.stdout.trim() : '';
  if (!url) return undefined;
  if (!/^https?:\/\//.test(url)) return { url, strippedCredentials: false };
  const parsed = new URL(url);
  const strippedCredentials = parsed.username !== '' || parsed.password !== '';
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.href, strippedCredentials };
}

function engineSection(engine: string | undefined, repoUrl: string | undefined, dir: string): EngineSection | undefined {
  if (repoUrl !== undefined && engine !== 'argocd') throw new UsageError('--repo-url goes with --engine argocd');
  if (engine === undefined) return undefined;
  if (engine === 'flux') {
    return {
      name: 'Flux',
      yaml: '# Flux applies dist/ from the GitRepository flux-system (namespace flux-system): synth writes its Kustomizations\n# into dist/_flux; apply them once. Every field: https://github.com/kvmigrate/kvmigrate#flux-walkthrough\nflux: {}\n',
      note: 'flux: {}, reading the GitRepository flux-system',
    };
  }
  if (engine !== 'argocd') throw new UsageError(`--engine must be argocd or flux (got "${engine}")`);
  const origin = repoUrl === undefined ? originUrl(dir) : undefined;
  const url = repoUrl ?? origin?.url;
  if (!url) throw new UsageError(`--engine argocd needs the repository's URL: ${dir === '.' ? 'this folder' : displayPath(dir)} is in no Git repository with a remote named origin; pass --repo-url URL`);
  const from = repoUrl === undefined ? `, from the origin remote${origin!.strippedCredentials ? ' without its credentials' : ''}` : '';
  return {
    name: 'Argo CD',
    yaml: `# Argo CD syncs dist/ from this repository: synth writes its Applications into dist/_argocd; apply them once.\n${manifestYaml([{ argocd: { repoURL: url } }])}`,
    note: `argocd: repoURL ${url}${from}`,
  };
}

/** `kvmigrate init`: the files a GitOps repository starts from; refuses to overwrite any of them. */
export const initCommand: CommandRun = (args, streams) => {
  expectPositionals(args, 'init', 0);
  const dir = stringOption(args, 'dir') ?? '.';
  const engine = engineSection(stringOption(args, 'engine'), stringOption(args, 'repo-url'), dir);
  const files: [string, string][] = [
    ['migrations.yaml', engine ? `${CONFIG}\n${engine.yaml}` : CONFIG],
    ['vms/.gitkeep', ''],
    ['.github/workflows/kvmigrate.yml', WORKFLOW],
  ];
  const present = files.map(([path]) => join(dir, path)).filter((path) => existsSync(path));
  if (present.length > 0) {
    throw new InputError(present.map((path) => ({ severity: 'error', message: 'already exists: init writes nothing over a file', location: { file: displayPath(path) } })));
  }
  for (const [path, text] of files) writeFileAtomically(join(dir, path), text);
  const wrote = files.map(([path]) => `wrote ${displayPath(join(dir, path))}${engine && path === 'migrations.yaml' ? ` (${engine.note})` : ''}\n`);
  streams.stdout(`${wrote.join('')}\nFor your README:\n\n${snippet(engine?.name ?? 'your GitOps engine (Argo CD or Flux)')}`);
  return ExitCode.OK;
};
