// Hostile input, round three: what an attacker's (or a careless tool's) config and manifests do to synthesis. Each
// case ends in an error at the file and line to blame, exit 1 and nothing written, never a stack trace or a hang.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { YamlFile } from '../lib/config/yaml-file.ts';
import { DiagnosticBag, InputError } from '../lib/diagnostics.ts';
import { claim, dataVolume, migration, vm, withClaim, withDataVolume, withDataVolumeTemplate, Workspace } from './support/builders.ts';
import { compile, messagesOf } from './support/compile.ts';
import { synthesize } from '../lib/synth/synthesize.ts';
import { synth, type Json } from './support/synth.ts';

/** A workspace with one migration of `machine`, not yet synthesized. */
function workspaceWith(machine: Json, entry: Json = {}, docs: Json[] = []): Workspace {
  const w = new Workspace();
  w.setup({ migrations: [migration(machine.metadata.name, entry)] }, { [machine.metadata.name]: [machine, ...docs] });
  return w;
}

/** The errors of a synthesis as `file:line: message`, or [] when it succeeds. */
function placedErrors(run: () => unknown): string[] {
  try {
    run();
    return [];
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return error.diagnostics.map((d) => `${d.location?.file.replace(/^.*kvmigrate-test-[^/]+\//, '')}:${d.location?.line}: ${d.message}`);
  }
}

describe('disk sizes a DataVolume cannot have (CDI refuses a zero size; kvmigrate reads exponents up to 100)', () => {
  it.each([
    ['0Gi', 'a disk needs a size above zero'],
    ['0', 'a disk needs a size above zero'],
    ['1e400', 'it is out of the range of a disk size'],
  ])('%s in a dataVolumeTemplate is refused at its line', (size, why) => {
    const machine = vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size }));
    expect(placedErrors(() => compile(machine))).toEqual([`vms/a.yaml:43: dataVolumeTemplate "root-dv": size "${size}" is not a usable disk size: ${why}`]);
  });

  it('in a DataVolume, a claim request and a claim capacity, each at its own line', () => {
    const machine = vm('a', withDataVolume('root', 'root-dv'), withClaim('data', 'data-pvc'));
    const errors = placedErrors(() => compile(machine, { docs: [dataVolume('root-dv', { size: '0Gi' }), claim('data-pvc', { size: '1e400', capacity: '0' })] }));
    expect(errors.map((e) => e.replace(/^vms\/a\.yaml:\d+: /, ''))).toEqual([
      'DataVolume "root-dv": size "0Gi" is not a usable disk size: a disk needs a size above zero',
      'PersistentVolumeClaim "data-pvc": size "1e400" is not a usable disk size: it is out of the range of a disk size',
      'PersistentVolumeClaim "data-pvc" status.capacity: size "0" is not a usable disk size: a disk needs a size above zero',
    ]);
    expect(new Set(errors.map((e) => e.split(':')[1])).size).toBe(3);
  });

  it('a zero size override in the config is refused at the config line', () => {
    const machine = vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '10Gi' }));
    expect(placedErrors(() => compile(machine, { entry: { disks: { root: { size: '0Gi' } } } }))).toEqual([
      'migrations.yaml:10: disks.root: size "0Gi" is not a usable disk size: a disk needs a size above zero',
    ]);
  });
});

describe('bounds on what a YAML file may cost (yaml-file.ts YAML_BOUNDS, MAX_FILE_BYTES), each named when hit', () => {
  it('a manifest nested 50,000 deep is refused at its line as too deep, not with a stack overflow', () => {
    const w = workspaceWith(vm('a'));
    appendFileSync(w.path('vms/a.yaml'), `deep: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`);
    const [error] = placedErrors(() => synth(w));
    expect(error).toMatch(/^vms\/a\.yaml:\d+: the YAML is nested deeper than 64 levels$/);
  });

  it('10 MB of empty documents is refused at once, at the first document past the bound', () => {
    const w = workspaceWith(vm('a'));
    const before = readFileSync(w.path('vms/a.yaml'), 'utf8').split('\n').length;
    appendFileSync(w.path('vms/a.yaml'), '---\n'.repeat(2_500_000));
    expect(placedErrors(() => synth(w))).toEqual([`vms/a.yaml:${before - 1 + 10_001}: the file holds more than 10,000 YAML documents (kvmigrate's bound on documents per file)`]);
  });

  it('the time bound is checked between documents and named', () => {
    const bag = new DiagnosticBag();
    expect(new YamlFile('vms/a.yaml', 'a: 1\n---\nb: 2\n', { documents: 10, milliseconds: 0 }).load(bag)).toBeUndefined();
    expect(bag.errors.map((e) => e.message)).toEqual(["the YAML took longer than 0 s to read (kvmigrate's bound on the time of one file)"]);
  });

  it('a 500,000-character source.manifest path is an error at the config line, the path cut short', () => {
    const w = workspaceWith(vm('a'), { source: { manifest: `vms/${'a'.repeat(500_000)}.yaml` } });
    const [error, ...more] = placedErrors(() => synth(w));
    expect(more).toEqual([]);
    expect(error).toMatch(/^migrations\.yaml:\d+: cannot read source manifest "vms\/a{116}…a{55}\.yaml \(500,009 characters\)" .*: the path is too long \(ENAMETOOLONG\)$/);
    expect(error!.length).toBeLessThan(1000);
  });
});

describe('leftover recovery removes only what is provably kvmigrate\'s (write-output.ts isOwnLeftover)', () => {
  it('a folder of the user\'s named like a leftover of a dead process stays, and a warning says so', () => {
    const w = workspaceWith(vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '1Gi' })));
    w.write('dist.kvmigrate-old-999999/MINE.txt', 'my notes\n');
    const result = synth(w);
    expect(readFileSync(w.path('dist.kvmigrate-old-999999/MINE.txt'), 'utf8')).toBe('my notes\n');
    expect(result.warnings.map((d) => d.message)).toContain(`left ${w.path('dist.kvmigrate-old-999999')} alone: its name is that of kvmigrate's leftovers, but it holds files kvmigrate did not write`);
    // Not put in the out dir's place either.
    expect(existsSync(w.path('dist/MINE.txt'))).toBe(false);
  });
});

describe('labels and annotations carried from the source VM, checked as the API server does (apimachinery ValidateLabels, ValidateAnnotations)', () => {
  const bad = (metadata: { labels?: Json; annotations?: Json }, template = false) =>
    vm('a', (machine) => {
      Object.assign(template ? machine.spec.template.metadata : machine.metadata, metadata);
    });
  const messages = (machine: Json) => placedErrors(() => compile(machine)).map((e) => e.replace(/^vms\/a\.yaml:\d+: /, ''));

  it.each([
    ['x'.repeat(64), 'the name part must be at most 63 characters'],
    ['-x', "the name part must consist of alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character"],
    ['', "the name part must not be empty; the name part must consist of alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character"],
    ['x/y/z', "a qualified name is a name of alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character, with an optional DNS subdomain prefix and '/' (such as example.com/MyName)"],
    ['/x', 'the prefix part must not be empty'],
    ['Example.com/x', "the prefix part must be a DNS subdomain: lowercase alphanumeric characters, '-' or '.', at most 253 characters"],
  ])('label key %j is refused (IsQualifiedName)', (key, why) => {
    expect(messages(bad({ labels: { [key]: 'v' } }))).toContain(`VirtualMachine "a": label key "${key}" is not valid: ${why}`);
  });

  it('a key with a space, on the template: both its parts are named', () => {
    expect(messages(bad({ labels: { 'bad key': 'v' } }, true))).toEqual([
      `VirtualMachine "a" spec.template: label key "bad key" is not valid: the name part must consist of alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`,
    ]);
  });

  it.each([
    ['v'.repeat(64), 'a label value must be at most 63 characters'],
    ['-v', "a label value must be empty or consist of alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character"],
    ['a b', "a label value must be empty or consist of alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character"],
  ])('label value %j is refused (IsValidLabelValue)', (value, why) => {
    expect(messages(bad({ labels: { app: value } }))).toEqual([`VirtualMachine "a": label "app" has value "${value}", which is not valid: ${why}`]);
  });

  it('valid keys and values pass: an empty label value, an upper-case annotation key (ValidateAnnotations lowercases it)', () => {
    expect(messages(bad({ labels: { 'example.com/App_1.x': '', app: 'Web-1' }, annotations: { 'Example.COM/Note': 'any text at all: ✓' } }))).toEqual([]);
  });

  it('annotation keys follow the same rule; the annotations total at most 256 KiB (totalAnnotationSizeLimitB)', () => {
    expect(messages(bad({ annotations: { 'a/b/c': 'x' } }))[0]).toMatch(/^VirtualMachine "a": annotation key "a\/b\/c" is not valid: a qualified name/);
    // 4,096 bytes are kept for kvmigrate's own annotations, which the emitted VMs carry too.
    expect(messages(bad({ annotations: { note: 'x'.repeat(256 * 1024 - 4096 - 4) } }))).toEqual([]);
    expect(messages(bad({ annotations: { note: 'x'.repeat(256 * 1024 - 4096 - 3) } }))).toEqual([
      `VirtualMachine "a": the annotations kvmigrate carries over total 258,049 bytes, more than 258,048: the API server's 262,144 less 4,096 kept for kvmigrate's own`,
    ]);
  });

  it('the error points at the key in the manifest', () => {
    const w = workspaceWith(bad({ labels: { '-x': 'v' } }));
    const line = readFileSync(w.path('vms/a.yaml'), 'utf8').split('\n').findIndex((l) => l.includes('-x: v')) + 1;
    expect(placedErrors(() => synth(w))[0]).toMatch(new RegExp(`^vms/a\\.yaml:${line}: `));
  });
});

describe("keys of Argo CD and Flux on the source are dropped, with a warning (metadata.ts isEngineKey)", () => {
  it('from the VM and its template: none reaches the output, and one warning per map names them', () => {
    const machine = vm('a', (m) => {
      m.metadata.annotations = { 'argocd.argoproj.io/sync-options': 'Prune=false', 'kustomize.toolkit.fluxcd.io/reconcile': 'disabled', keep: 'me' };
      m.metadata.labels = { 'kustomize.toolkit.fluxcd.io/name': 'apps', app: 'web' };
      m.spec.template.metadata.annotations = { 'fluxcd.io/ignore': 'true', 'argocd.argoproj.io/hook': 'PostSync' };
    });
    const result = compile(machine, { docs: [], entry: { source: { manage: true } }, config: { argocd: { repoURL: 'https://git.example.com/x.git' } } });
    const vms = result.objects.filter((o) => o.kind === 'VirtualMachine');
    expect(vms.length).toBe(2);
    for (const object of vms) {
      const keys = [...Object.keys(object.metadata.labels ?? {}), ...Object.keys(object.metadata.annotations ?? {}), ...Object.keys(object.spec.template.metadata?.annotations ?? {})];
      // kvmigrate's own engine annotations (sync wave and options, Flux's prune) are the only engine keys left.
      expect(keys.filter((k) => /fluxcd\.io\/(?!prune)|argocd\.argoproj\.io\/(?!sync-wave|sync-options)/.test(k))).toEqual([]);
      expect(object.metadata.annotations['kustomize.toolkit.fluxcd.io/prune']).toBe('Disabled');
      expect(object.metadata.annotations['argocd.argoproj.io/sync-options'] ?? 'kvmigrate').not.toBe('Prune=false');
      expect(object.metadata.annotations.keep).toBe('me');
    }
    expect(result.warnings.map((w) => w.message).filter((m) => m.includes('dropped'))).toEqual([
      'VirtualMachine "a": dropped "kustomize.toolkit.fluxcd.io/name", "argocd.argoproj.io/sync-options", "kustomize.toolkit.fluxcd.io/reconcile": keys of Argo CD or Flux on the source say how its engine treats the source, and would make it treat kvmigrate\'s objects as the source\'s',
      'VirtualMachine "a" spec.template: dropped "fluxcd.io/ignore", "argocd.argoproj.io/hook": keys of Argo CD or Flux on the source say how its engine treats the source, and would make it treat kvmigrate\'s objects as the source\'s',
    ]);
  });
});

describe('an out dir path longer than a path may be (PATH_MAX, 4,096)', () => {
  it('is refused before any folder is walked or written', () => {
    const w = workspaceWith(vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '1Gi' })));
    const outdir = w.path('a/'.repeat(200_000));
    expect(messagesOf(() => synthesize({ configPath: w.path('migrations.yaml'), outdir }))).toEqual([
      expect.stringMatching(/^the out dir .*…[a/]* \(\d{3},\d{3} characters\) is a path of \d{3},\d{3} characters, more than the 4,096 a path may have$/),
    ]);
  });
});
