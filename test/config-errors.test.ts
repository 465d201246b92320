import { describe, expect, it } from 'vitest';
import { GENERATED_HEADER_PREFIX } from '../lib/synth/write-output.ts';
import { migration, vm, withDataVolume, withDataVolumeTemplate, withNamespace, Workspace } from './support/builders.ts';
import { kvmigrateInProcess } from './support/cli.ts';

const goodVm = (name: string) => vm(name, withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '1Gi' }));

/** Runs `kvmigrate synth` on a workspace whose dist/ already holds a file, and reports what happened. */
async function synthFails(workspace: Workspace) {
  workspace.write('dist/default/previous.k8s.yaml', `${GENERATED_HEADER_PREFIX}../migrations.yaml\nkind: Previous\n`);
  const before = workspace.files('dist');
  const run = await kvmigrateInProcess(['synth', '--config', workspace.path('migrations.yaml'), '--out', workspace.path('dist')]);
  return { ...run, distUnchanged: JSON.stringify(workspace.files('dist')) === JSON.stringify(before) };
}

/** A workspace whose migrations.yaml is `config` verbatim and whose vms/ hold valid VMs `a` and `b`. */
function workspaceWith(config: string): Workspace {
  const workspace = new Workspace();
  workspace.write('vms/a.yaml', [goodVm('a')]);
  workspace.write('vms/b.yaml', [goodVm('b')]);
  workspace.write('migrations.yaml', config);
  return workspace;
}

const entry = (vmName: string, indent = '  ') =>
  `${indent}- vm: ${vmName}\n${indent}  source:\n${indent}    namespace: src\n${indent}    manifest: vms/${vmName}.yaml\n${indent}  destination:\n${indent}    namespace: dst\n`;

describe('config errors name file:line:col and change nothing on disk', () => {
  it.each([
    ['YAML syntax', 'migrations:\n  - vm: [a\n', '3:1', 'Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ['a duplicate key', `migrations:\n${entry('a')}migrations: []\n`, '8:1', 'Map keys must be unique'],
    ['an unknown field', `migrations:\n${entry('a')}    colour: blue\n`, '8:5', 'migrations[0]: unknown field "colour"'],
    ['a missing field', 'migrations:\n  - vm: a\n    source:\n      namespace: src\n    destination:\n      namespace: dst\n', '4:7', 'migrations[0].source: missing required field "manifest"'],
    ['an invalid namespace', `migrations:\n${entry('a').replace('namespace: dst', 'namespace: Dst_1')}`, '7:18', 'migrations[0].destination.namespace: "Dst_1" is not valid: a DNS label'],
    ['attempt 0', `migrations:\n${entry('a')}    attempt: 0\n`, '8:14', 'migrations[0].attempt: must be >= 1'],
    ['a wrong kind header', `kind: Migrations\nmigrations:\n${entry('a')}`, '1:7', 'kind: must be "MigrationSet"'],
    ['a connectURL port out of range', `migrations:\n${entry('a')}    connectURL: 10.0.0.5:70000\n`, '8:17', 'migrations[0].connectURL: "10.0.0.5:70000" is not host:port, ip:port or [ipv6]:port with a port in 1-65535'],
    ['a migrationID ending in "-", with the rule it breaks', `migrations:\n${entry('a')}    migrationID: 52e4398d-\n`, '8:18', 'migrations[0].migrationID: "52e4398d-" is not valid: 1-253 letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit'],
    ['an unknown phase, listing the allowed ones', `migrations:\n${entry('a')}    phase: finish\n`, '8:12', 'migrations[0].phase: "finish" is not one of "migrate", "cutover", "abort"'],
    ['an attempt that is not a number, in good grammar', `migrations:\n${entry('a')}    attempt: two\n`, '8:14', 'migrations[0].attempt: must be an integer'],
    ['a config without migrations', 'storageClassMap: {}\n', '1:1', '(top level): missing required field "migrations"'],
    ['an empty file', '# nothing yet\n', '1:1', 'the config is empty'],
    ['the same VM twice', `migrations:\n${entry('a')}${entry('a')}`, '8:9', 'VM "src/a" is migrated twice (first at line 2)'],
    ['a duplicate name', `migrations:\n${entry('a')}    name: x\n${entry('b')}    name: x\n`, '15:11', 'duplicate migration name "x" (first at line 8)'],
    ['a missing manifest', `migrations:\n${entry('a').replace('vms/a.yaml', 'vms/nope.yaml')}`, '5:17', 'source manifest "vms/nope.yaml" does not exist'],
    ['the same namespace at both ends', `migrations:\n${entry('a').replace('namespace: dst', 'namespace: src')}`, '7:18', 'migrations[0].destination: source and destination are the same namespace'],
  ])('%s', async (_, config, position, message) => {
    const workspace = workspaceWith(config);
    const result = await synthFails(workspace);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${workspace.path('migrations.yaml')}:${position}: error: ${message}`);
    expect(result.stderr).toMatch(/error(s)?; nothing was written\n$/);
    expect(result.stdout).toBe('');
    expect(result.distUnchanged).toBe(true);
  });

  it('a manifest holding another VM points at its metadata.name', async () => {
    const workspace = workspaceWith(`migrations:\n${entry('a').replace('vms/a.yaml', 'vms/b.yaml')}`);
    const result = await synthFails(workspace);
    expect(result.stderr).toContain(`${workspace.path('vms/b.yaml')}:4:9: error: ${workspace.path('vms/b.yaml')} holds VirtualMachine "b", not "a"`);
    expect(result.distUnchanged).toBe(true);
  });

  it("a manifest in another namespace points at its metadata.namespace", async () => {
    const workspace = workspaceWith(`migrations:\n${entry('a')}`);
    workspace.write('vms/a.yaml', [vm('a', withNamespace('elsewhere'))]);
    const result = await synthFails(workspace);
    expect(result.stderr).toContain(`vms/a.yaml:5:14: error: VirtualMachine "a" in`);
    expect(result.stderr).toContain('is in namespace "elsewhere", but the config says the source namespace is "src"');
  });

  it('a manifest without a namespace is taken to be in the source namespace', async () => {
    const workspace = workspaceWith(`migrations:\n${entry('a')}`);
    workspace.write('vms/a.yaml', [goodVm('a')].map((m) => ({ ...m, metadata: { name: 'a' } })));
    const { code } = await kvmigrateInProcess(['synth', '--config', workspace.path('migrations.yaml'), '--out', workspace.path('dist')]);
    expect(code).toBe(0);
  });

  it('a YAML fault in a manifest names the manifest', async () => {
    const workspace = workspaceWith(`migrations:\n${entry('a')}`);
    workspace.write('vms/a.yaml', 'apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: a\n');
    const result = await synthFails(workspace);
    expect(result.stderr).toMatch(new RegExp(`${workspace.path('vms/a.yaml')}:\\d+:\\d+: error: `));
    expect(result.distUnchanged).toBe(true);
  });

  it('a "__proto__" key in a manifest is refused at its line and column', async () => {
    const workspace = workspaceWith(`migrations:\n${entry('a')}`);
    workspace.write('vms/a.yaml', 'apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata:\n  name: a\n  labels:\n    app: web\n    __proto__: x\n');
    const result = await synthFails(workspace);
    expect(result.stderr).toContain(`${workspace.path('vms/a.yaml')}:7:5: error: the key "__proto__" is not a field of any Kubernetes object`);
    expect(result.distUnchanged).toBe(true);
  });

  it('a manifest nested too deep, or expanding through aliases past the bound, is refused', async () => {
    const deep = workspaceWith(`migrations:\n${entry('a')}`);
    deep.write('vms/a.yaml', `apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: a}\nspec: ${'['.repeat(70)}${']'.repeat(70)}\n`);
    expect((await synthFails(deep)).stderr).toContain('error: the YAML is nested deeper than 64 levels');
    const bomb = workspaceWith(`migrations:\n${entry('a')}`);
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefg'.split('').map((name, i) => `${name}: &${name} [${Array(10).fill(`*${'abcdefg'[i]}`).join(', ')}]`)];
    bomb.write('vms/a.yaml', `apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: a}\nx-bomb:\n${levels.map((l) => `  ${l}`).join('\n')}\n`);
    expect((await synthFails(bomb)).stderr).toContain('error: the YAML expands to more than 1,000,000 values (through aliases)');
  });

  it('reports every error of a run, not only the first', async () => {
    const config = `migrations:\n${entry('a').replace('namespace: dst', 'namespace: DST')}${entry('b')}    colour: red\n`;
    const result = await synthFails(workspaceWith(config));
    expect(result.stderr.match(/: error: /g)).toHaveLength(2);
    expect(result.stderr).toContain('2 errors; nothing was written');
  });

  it('an error in the plan (a Halted VM) also leaves the out dir as it was', async () => {
    const workspace = workspaceWith(`migrations:\n${entry('a')}`);
    workspace.write('vms/a.yaml', [{ ...goodVm('a'), spec: { ...goodVm('a').spec, runStrategy: 'Halted' } }]);
    const result = await synthFails(workspace);
    expect(result.stderr).toContain(`vms/a.yaml:7:16: error: the source VM's spec.runStrategy "Halted" is not a running strategy: the source VM is not running`);
    expect(result.distUnchanged).toBe(true);
  });

  it('a missing config file says how to give one', async () => {
    const workspace = new Workspace();
    const result = await synthFails(workspace);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${workspace.path('migrations.yaml')}: error: config file not found`);
    expect(result.distUnchanged).toBe(true);
  });
});

describe('the out dir', () => {
  it.each([
    ['the working directory', '.', 'the working directory'],
    ['a folder holding the config', 'WORKSPACE', 'migrations.yaml, which synthesis reads'],
  ])('refuses %s, and leaves it alone', async (_, out, what) => {
    const workspace = new Workspace();
    workspace.setup({ migrations: [migration('a')] }, { a: [goodVm('a')] });
    const before = workspace.files('.');
    const { code, stderr } = await kvmigrateInProcess(['synth', '--config', workspace.path('migrations.yaml'), '--out', out === 'WORKSPACE' ? workspace.dir : out]);
    expect(code).toBe(1);
    expect(stderr).toContain(what);
    expect(workspace.files('.')).toEqual(before);
  });
});

describe('a valid config', () => {
  it('may hold anchors under an x- key and merge them into entries with <<', async () => {
    const config = `x-common: &common\n  source: { namespace: src, manifest: vms/a.yaml }\n  destination: { namespace: dst }\nmigrations:\n  - <<: *common\n    vm: a\n`;
    const workspace = workspaceWith(config);
    const { code } = await kvmigrateInProcess(['synth', '--config', workspace.path('migrations.yaml'), '--out', workspace.path('dist')]);
    expect(code).toBe(0);
    expect(Object.keys(workspace.files('dist'))).toEqual(['default/a.k8s.yaml']);
    expect(workspace.files('dist')['default/a.k8s.yaml']).toContain('namespace: dst');
  });

  it('replaces the out dir wholly: stale files from an earlier synthesis are gone', async () => {
    const workspace = new Workspace();
    workspace.setup({ migrations: [migration('a')] }, { a: [goodVm('a')] });
    workspace.write('dist/default/removed-migration.k8s.yaml', `${GENERATED_HEADER_PREFIX}../migrations.yaml\nkind: Stale\n`);
    const { code } = await kvmigrateInProcess(['synth', '--config', workspace.path('migrations.yaml'), '--out', workspace.path('dist')]);
    expect(code).toBe(0);
    expect(Object.keys(workspace.files('dist'))).toEqual(['default/a.k8s.yaml']);
  });
});

describe('values from the config cannot inject fields or arguments', () => {
  const set = (target: Record<string, any>, path: string[], value: string) => {
    const last = path.at(-1)!;
    const parent = path.slice(0, -1).reduce((node, key) => (node[key] ??= {}), target);
    parent[last] = value;
  };
  it.each([
    ['vm', 'web\n  runStrategy: Halted'],
    ['source.namespace', 'src: x'],
    ['destination.namespace', '--dst'],
    ['migrationID', 'id\nconnectURL: 6.6.6.6:9185'],
    ['migrationID', '--wait'],
    ['connectURL', '6.6.6.6:9185 --wait'],
    ['hook.kubevirtNamespace', 'kubevirt\n--connect-url'],
    ['hook.destinationKubeconfigSecret', 'a: b'],
    ['destination.storageClass', 'fast\nvolumeMode: Block'],
  ])('%s %j is refused, nothing written', async (field, value) => {
    const workspace = new Workspace();
    const entry = migration('a');
    set(entry, field.split('.'), value);
    workspace.setup({ migrations: [entry] }, { a: [goodVm('a')] });
    const result = await synthFails(workspace);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: migrations\[0\]\./);
    expect(result.distUnchanged).toBe(true);
  });

  it('an image name that looks like a flag stays the image: the Job arguments are a list, never a command line', async () => {
    const workspace = new Workspace();
    workspace.setup({ hook: { image: '--wait' }, migrations: [migration('a')] }, { a: [goodVm('a')] });
    const { code } = await kvmigrateInProcess(['synth', '--config', workspace.path('migrations.yaml'), '--out', workspace.path('dist')]);
    expect(code).toBe(0);
    const job = workspace.files('dist')['default/a.k8s.yaml']!;
    expect(job).toContain('image: "--wait"');
    expect(job.match(/- "--wait"/g)).toBeNull();
  });
});

describe('source manifests are checked against the KubeVirt and CDI CRD schemas', () => {
  it('a field of the wrong type anywhere in the VM (not only where kvmigrate reads) is an error at its line', async () => {
    const machine = goodVm('a');
    machine.spec.template.spec.domain.cpu = { cores: 'four' };
    const workspace = new Workspace();
    workspace.setup({ migrations: [migration('a')] }, { a: [machine] });
    const result = await synthFails(workspace);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/vms\/a\.yaml:\d+:\d+: error: VirtualMachine a: spec\.template\.spec\.domain\.cpu\.cores: must be an integer/);
    expect(result.distUnchanged).toBe(true);
  });

  it('a value the CRD does not allow is named in the message (read from the manifest: the CRD errors carry no value)', async () => {
    const machine = goodVm('a');
    machine.spec.dataVolumeTemplates[0].spec.contentType = 'tarball';
    const workspace = new Workspace();
    workspace.setup({ migrations: [migration('a')] }, { a: [machine] });
    const result = await synthFails(workspace);
    expect(result.stderr).toMatch(/vms\/a\.yaml:\d+:\d+: error: VirtualMachine a: spec\.dataVolumeTemplates\[0\]\.spec\.contentType: "tarball" is not one of "kubevirt", "archive"/);
    expect(result.distUnchanged).toBe(true);
  });

  it('status is not checked: the API server drops it from a created object first (customResourceStrategy.PrepareForCreate)', async () => {
    const machine = { ...goodVm('a'), status: { printableStatus: 5, conditions: 'none' } };
    const workspace = new Workspace();
    workspace.setup({ migrations: [migration('a')] }, { a: [machine] });
    const { code } = await kvmigrateInProcess(['synth', '--config', workspace.path('migrations.yaml'), '--out', workspace.path('dist')]);
    expect(code).toBe(0);
    // The same value in spec is still an error: only status is left out.
    const inSpec = goodVm('a');
    inSpec.spec.template.spec.domain.cpu = { cores: 5, sockets: 'one' };
    workspace.setup({ migrations: [migration('a')] }, { a: [inSpec] });
    expect((await synthFails(workspace)).stderr).toContain('spec.template.spec.domain.cpu.sockets: must be an integer');
  });
});

describe('messages', () => {
  it('schema errors do not hide the checks that can still run: the other entries are read too', async () => {
    const workspace = workspaceWith(`colour: blue\nmigrations:\n${entry('a')}${entry('b').replace('vms/b.yaml', 'vms/missing.yaml')}${entry('a').replace('  - vm: a', '  - vm: Bad_Name')}`);
    const result = await synthFails(workspace);
    expect(result.stderr).toContain('(top level): unknown field "colour"');
    expect(result.stderr).toContain('source manifest "vms/missing.yaml" does not exist');
    expect(result.stderr).toContain('migrations[2].vm: "Bad_Name" is not valid');
    expect(result.distUnchanged).toBe(true);
  });

  it('a directory given as the manifest says it is a directory', async () => {
    const workspace = workspaceWith(`migrations:\n${entry('a').replace('manifest: vms/a.yaml', 'manifest: vms')}`);
    const result = await synthFails(workspace);
    expect(result.stderr).toContain('source manifest "vms" is a directory');
  });

  it('errors come in file and line order, whatever stage found them', async () => {
    const workspace = workspaceWith(`migrations:\n${entry('b').replace('namespace: dst', 'namespace: src')}${entry('a')}${entry('a')}`);
    const result = await synthFails(workspace);
    const lines = result.stderr.split('\n').filter((l) => l.includes(': error: ')).map((l) => Number(/:(\d+):\d+: error/.exec(l)?.[1]));
    expect(lines.length).toBeGreaterThan(1);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });
});

describe('YAML mistakes: the line at fault, one error per fault, and how to mend it', () => {
  it.each([
    // The parser (yaml's compose) reports this at the end of line 5, as a mapping nested in "src".
    ['an over-indented key', `migrations:\n${entry('a').replace('    manifest', '      manifest')}`, '5:9', 'this line is indented deeper than "namespace:" on line 4, which already has a value', 'indent it 6 spaces, like "namespace:"'],
    ['tabs, once for every tabbed line', `migrations:\n${entry('a').replace(/^ {4}/gm, '\t')}`, '3:1', 'a tab indents this line (and lines 4, 5, 6, 7)', 'YAML indents with spaces only: replace each tab with spaces'],
    ['a key without a space after its colon, before a mapping', `migrations:\n${entry('a').replace('- vm: a', '- vm:a')}`, '2:7', '"vm:" has no space after the colon, so the line is one string, not a key and its value', 'write "vm: a"'],
    ['a key without a space after its colon, where a mapping belongs', `migrations:\n${entry('a').replace('    namespace: dst', '    namespace:dst')}`, '7:7', 'migrations[0].destination: must be an object', '"namespace:dst" is one string: YAML needs a space after the colon, "namespace: dst"'],
    ['a size without its unit', `migrations:\n${entry('a')}    disks:\n      root: { size: 40 }\n`, '9:21', 'migrations[0].disks.root.size: must be a string', 'give the unit: 40Gi (a bare number is bytes)'],
  ])('%s', async (_, config, position, message, hint) => {
    const workspace = workspaceWith(config);
    const result = await synthFails(workspace);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${workspace.path('migrations.yaml')}:${position}: error: ${message}\n  hint: ${result.stderr.split('  hint: ')[1]!.split('\n')[0]}\n1 error; nothing was written\n`);
    expect(result.stderr).toContain(`  hint: ${hint}`);
    expect(result.distUnchanged).toBe(true);
  });
});
