import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { healthChecks } from '../lib/argocd/health-checks.ts';
import { synthesize } from '../lib/synth/synthesize.ts';
import { InputError } from '../lib/diagnostics.ts';
import { documents, migration, vm, withDataVolume, withDataVolumeTemplate, withRunStrategy, Workspace } from './support/builders.ts';
import { kvmigrateInProcess } from './support/cli.ts';
import { hookMigration, vmi } from './support/cluster-objects.ts';
import { messagesOf } from './support/compile.ts';
import { crdErrors, crdValidators } from './support/crds.ts';
import { KubeApiServer } from './support/kube-api-server.ts';
import { ofKind, only, synth, type Json } from './support/synth.ts';

const root = resolve(import.meta.dirname, '..');
const labVm = parse(readFileSync(join(root, 'vms/vm-migration-ns-ns-live.yaml'), 'utf8'));
const ARGOCD = { repoURL: 'https://git.example.com/platform/vm-moves.git', targetRevision: 'main' };

/** The lab migration with `extra` fields, synthesized (the config and manifest in a fresh workspace). */
function lab(extra: Json = {}, config: Json = {}) {
  const workspace = new Workspace();
  workspace.write('vms/vm-migration-ns-ns-live.yaml', [labVm]);
  workspace.write('migrations.yaml', {
    hook: { kubevirtNamespace: 'openshift-cnv' },
    ...config,
    migrations: [
      {
        vm: 'vm-migration-ns-ns-live',
        source: { namespace: 'vm-live-migration-source', manifest: 'vms/vm-migration-ns-ns-live.yaml', ...extra.source },
        destination: { namespace: 'vm-live-migration-destination', storageClass: 'ocs-external-storagecluster-ceph-rbd' },
        migrationID: '52e4398d-bdbf-42b5-b0f4-1e7c6c0a08f5-38cec1f6-43bb-412d-8477-b3d635fd7123',
        ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'source')),
      },
    ],
  });
  return { workspace, ...synth(workspace) };
}

/** The objects, but the migration's record (a ConfigMap at each end, tested on its own). */
const kinds = (objects: readonly Json[]) => objects.filter((o) => o.kind !== 'ConfigMap').map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`);
const annotations = (o: Json) => o.metadata.annotations as Record<string, string>;

describe('per-resource Argo CD options', () => {
  it('disks and VMs are never pruned or deleted; migrations are not managed objects at all (the hook creates them)', () => {
    const { objects } = lab();
    for (const object of [...ofKind(objects, 'DataVolume'), ...ofKind(objects, 'VirtualMachine')]) {
      expect(annotations(object)['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    }
    expect(ofKind(objects, 'VirtualMachineInstanceMigration')).toEqual([]);
  });
});

describe('the lifecycle, one commit per step', () => {
  it('migrate: disks, receiver and the hook that creates both migrations', () => {
    const { objects, byPath } = lab();
    expect(kinds(objects.filter((o) => !['Role', 'RoleBinding', 'ServiceAccount'].includes(o.kind)))).toEqual([
      'DataVolume vm-live-migration-destination/vm-migration-ns-ns-live',
      'VirtualMachine vm-live-migration-destination/vm-migration-ns-ns-live',
      'Job vm-live-migration-source/vm-migration-ns-ns-live-send-hook-757cf54b',
    ]);
    expect(byPath).toMatchSnapshot();
  });

  it('cutover: the same disks, the VM with its final run strategy, no migrations, no hook', () => {
    const migrate = lab();
    const cutover = lab({ phase: 'cutover' });
    expect(kinds(cutover.objects)).toEqual([
      'DataVolume vm-live-migration-destination/vm-migration-ns-ns-live',
      'VirtualMachine vm-live-migration-destination/vm-migration-ns-ns-live',
    ]);
    // CDI rejects any change to a DataVolume's spec: the disks must not change at all.
    expect(only(cutover.objects, 'DataVolume')).toEqual(only(migrate.objects, 'DataVolume'));
    const before = only(migrate.objects, 'VirtualMachine');
    const after = only(cutover.objects, 'VirtualMachine');
    expect(after.spec.runStrategy).toBe('Always');
    expect(annotations(after)['kubevirt.io/restore-run-strategy']).toBe('Always');
    expect({ ...after.spec, runStrategy: undefined }).toEqual({ ...before.spec, runStrategy: undefined });
    expect(cutover.byPath).toMatchSnapshot();
  });

  it('abort: no migrations and no hook; the receiver and its disks stay unless removeReceiver', () => {
    expect(kinds(lab({ phase: 'abort' }).objects)).toEqual([
      'DataVolume vm-live-migration-destination/vm-migration-ns-ns-live',
      'VirtualMachine vm-live-migration-destination/vm-migration-ns-ns-live',
    ]);
    expect(only(lab({ phase: 'abort' }).objects, 'VirtualMachine').spec.runStrategy).toBe('WaitAsReceiver');
    expect(kinds(lab({ phase: 'abort', abort: { removeReceiver: true } }).objects)).toEqual([]);
  });

  it('a managed source VM: as it runs while migrating, Halted at cutover, and ignored by its Application until then', () => {
    const migrate = lab({ source: { manage: true } }, { argocd: ARGOCD });
    const source = ofKind(migrate.objects, 'VirtualMachine').find((v) => v.metadata.namespace === 'vm-live-migration-source')!;
    expect(source.spec.runStrategy).toBe('Always');
    expect(source.spec.dataVolumeTemplates).toEqual(labVm.spec.dataVolumeTemplates);
    expect(annotations(source)).toMatchObject({ 'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false', 'argocd.argoproj.io/sync-wave': '0' });
    const ignored = (result: { byPath: Record<string, Json[]> }) =>
      only(result.byPath['_argocd/applications.k8s.yaml']!, 'Application').spec.ignoreDifferences.map((d: Json) => `${d.kind} ${d.namespace ?? '*'}/${d.name ?? '*'} ${d.jsonPointers}`);
    expect(ignored(migrate)).toEqual([
      'VirtualMachine vm-live-migration-destination/vm-migration-ns-ns-live /spec/runStrategy',
      'VirtualMachine vm-live-migration-source/vm-migration-ns-ns-live /spec/runStrategy',
    ]);
    const cutover = lab({ source: { manage: true }, phase: 'cutover' }, { argocd: ARGOCD });
    const halted = ofKind(cutover.objects, 'VirtualMachine').find((v) => v.metadata.namespace === 'vm-live-migration-source')!;
    expect(halted.spec.runStrategy).toBe('Halted');
    expect(cutover.byPath['_argocd/applications.k8s.yaml']![0]!.spec).not.toHaveProperty('ignoreDifferences');
  });
});

describe('the lifecycle across clusters', () => {
  const crossCluster = (phase: string) => {
    const workspace = new Workspace();
    workspace.setup(
      {
        argocd: ARGOCD,
        clusters: { east: { server: 'https://east.example:6443' }, west: { server: 'https://west.example:6443' } },
        migrations: [
          migration('a', {
            phase,
            source: { cluster: 'east', manage: true },
            destination: { cluster: 'west' },
            hook: { destinationKubeconfigSecret: 'west-kubeconfig' },
          }),
        ],
      },
      { a: [vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '1Gi' }))] },
    );
    const { byPath } = synth(workspace);
    return Object.fromEntries(
      Object.entries(byPath).map(([path, objects]) => [path, objects.filter((o) => o.kind !== 'ConfigMap').map((o) => `${o.kind}${o.spec?.runStrategy ? ` ${o.spec.runStrategy}` : ''}`)]),
    );
  };

  it.each([
    [
      'migrate',
      {
        'east/a.k8s.yaml': ['VirtualMachine Always', 'ServiceAccount', 'Role', 'RoleBinding', 'Job'],
        'west/a.k8s.yaml': ['ServiceAccount', 'Role', 'RoleBinding', 'DataVolume', 'VirtualMachine WaitAsReceiver'],
      },
    ],
    ['cutover', { 'east/a.k8s.yaml': ['VirtualMachine Halted'], 'west/a.k8s.yaml': ['DataVolume', 'VirtualMachine Always'] }],
    ['abort', { 'east/a.k8s.yaml': ['VirtualMachine Always'], 'west/a.k8s.yaml': ['DataVolume', 'VirtualMachine WaitAsReceiver'] }],
  ])('%s puts each side in its cluster folder', (phase, expected) => {
    const files = crossCluster(phase);
    expect(Object.fromEntries(Object.entries(files).filter(([path]) => !path.startsWith('_argocd/')))).toEqual(expected);
    expect(files['_argocd/applications.k8s.yaml']).toEqual(['Application', 'Application']);
  });
});

describe('cluster folders and Applications', () => {
  const phases: Json[] = [{}, { phase: 'cutover' }, { phase: 'abort' }, { phase: 'abort', abort: { removeReceiver: true } }];

  it.each(phases)('every folder a migration touches holds its record in every phase (%j), so no Application points at an empty folder', (extra) => {
    const workspace = new Workspace();
    workspace.setup(
      {
        argocd: ARGOCD,
        clusters: { east: { server: 'https://east.example:6443' }, west: { server: 'https://west.example:6443' } },
        migrations: [migration('a', { ...extra, source: { cluster: 'east' }, destination: { cluster: 'west' }, hook: { destinationKubeconfigSecret: 'w' } })],
      },
      { a: [vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '1Gi' }))] },
    );
    const { byPath } = synth(workspace);
    const records = (path: string) => ofKind(byPath[path] ?? [], 'ConfigMap').map((c) => [c.metadata.namespace, c.data.role, c.data.phase]);
    const phase = (extra.phase as string | undefined) ?? 'migrate';
    expect(records('east/a.k8s.yaml')).toEqual([['src', 'source', phase]]);
    expect(records('west/a.k8s.yaml')).toEqual([['dst', 'destination', phase]]);
    const paths = byPath['_argocd/applications.k8s.yaml']!.map((a) => a.spec.source.path);
    for (const path of paths) expect(Object.keys(byPath).some((file) => file.startsWith(`${path.replace(/^dist\//, '')}/`))).toBe(true);
  });

  it("an Application's path follows --out inside the Git repository; argocd.path disagreeing, or no repository, is a warning", () => {
    const workspace = new Workspace();
    mkdirSync(workspace.path('.git'));
    workspace.setup({ argocd: ARGOCD, migrations: [migration('a')] }, { a: [vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '1Gi' }))] });
    const at = (outdir: string, config = 'migrations.yaml') => synthesize({ configPath: workspace.path(config), outdir: workspace.path(outdir) });
    const moved = at('deploy/gitops');
    expect(documents(moved.files.find((f) => f.path === '_argocd/applications.k8s.yaml')!.content)[0]!.spec.source.path).toBe('deploy/gitops/default');
    expect(moved.warnings.filter((w) => w.message.includes('argocd.path'))).toEqual([]);

    workspace.write('other.yaml', { argocd: { ...ARGOCD, path: 'manifests' }, migrations: [migration('a')] });
    const disagreeing = at('dist', 'other.yaml');
    expect(disagreeing.warnings.map((w) => w.message)).toContain('argocd.path is manifests, but the out dir is dist in its Git repository: the Applications will read manifests/<cluster>');

    const outside = new Workspace();
    outside.setup({ argocd: ARGOCD, migrations: [migration('a')] }, { a: [vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '1Gi' }))] });
    const unversioned = synthesize({ configPath: outside.path('migrations.yaml'), outdir: outside.path('dist') });
    expect(unversioned.warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('the out dir is in no Git repository'));
  });
});

describe('the split-brain guard', () => {
  const errors = (extra: Json, config: Json = {}) => {
    try {
      lab(extra, config);
      return [];
    } catch (error) {
      return (error as InputError).diagnostics.map((d) => ({ message: d.message, hint: d.hint, line: d.location?.line }));
    }
  };

  it('refuses to migrate a managed Always source VM that no Application of ours ignores', () => {
    expect(errors({ source: { manage: true } })).toEqual([
      {
        message: expect.stringContaining('a sync would start it again from its stale disks while the migrated VM runs'),
        hint: expect.stringContaining('add an `argocd:` section'),
        line: 8,
      },
    ]);
  });

  it('allows it with kvmigrate-emitted Applications, at cutover, and for a strategy kept by allowRunStrategy, which KubeVirt does not rewrite', () => {
    expect(errors({ source: { manage: true } }, { argocd: ARGOCD })).toEqual([]);
    expect(errors({ source: { manage: true }, phase: 'cutover' })).toEqual([]);
    const rerun = (source: Json) => {
      const workspace = new Workspace();
      workspace.setup({ migrations: [migration('a', { source })] }, { a: [vm('a', withRunStrategy('RerunOnFailure'), withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '1Gi' }))] });
      return messagesOf(() => synth(workspace));
    };
    expect(rerun({ manage: true, allowRunStrategy: true })).toEqual([]);
    // Converted to Always, the managed source is halted by KubeVirt: the guard applies.
    expect(rerun({ manage: true })).toEqual([expect.stringContaining('nothing makes the sync ignore its runStrategy')]);
  });
});

describe('Argo CD output', () => {
  it('one Application per cluster folder, validated against the Application CRD', () => {
    const workspace = new Workspace();
    const machine = (name: string) => vm(name, withDataVolume('root', `${name}-root`), withDataVolumeTemplate(`${name}-root`, { size: '1Gi' }));
    workspace.setup(
      {
        argocd: { ...ARGOCD, path: 'clusters/dist', project: 'migrations' },
        clusters: { east: { server: 'https://east.example:6443' }, west: { server: 'https://west.example:6443' } },
        migrations: [
          migration('a', { source: { cluster: 'east' }, destination: { cluster: 'west' }, hook: { destinationKubeconfigSecret: 'west' } }),
          migration('b', { source: { cluster: 'east' } }),
        ],
      },
      { a: [machine('a')], b: [machine('b')] },
    );
    const { byPath } = synth(workspace);
    const applications = byPath['_argocd/applications.k8s.yaml']!;
    expect(applications.map((a) => [a.metadata.name, a.spec.source.path, a.spec.destination.server, a.spec.project])).toEqual([
      ['kvmigrate-east', 'clusters/dist/east', 'https://east.example:6443', 'migrations'],
      ['kvmigrate-west', 'clusters/dist/west', 'https://west.example:6443', 'migrations'],
    ]);
    for (const application of applications) {
      expect(application.spec.syncPolicy.syncOptions).toEqual(['RespectIgnoreDifferences=true']);
      expect(application.spec.source).toMatchObject({ repoURL: ARGOCD.repoURL, targetRevision: 'main' });
      expect(application.metadata).not.toHaveProperty('finalizers');
      if (crdValidators) expect(crdErrors(application as any)).toEqual([]);
    }
    expect(byPath).toMatchSnapshot();
  });

  it('a cluster folder without an API server is an error naming it', () => {
    const workspace = new Workspace();
    workspace.setup(
      { argocd: ARGOCD, migrations: [migration('a', { source: { cluster: 'east' } })] },
      { a: [vm('a', withDataVolume('root', 'r'), withDataVolumeTemplate('r', { size: '1Gi' }))] },
    );
    expect(() => synth(workspace)).toThrow('no API server for cluster "east", which Argo CD needs for its Application');
  });

  it('writes the argocd-cm health checks under the out dir unless told not to', () => {
    const cm = only(lab({}, { argocd: ARGOCD }).byPath['_argocd/argocd-cm.k8s.yaml']!, 'ConfigMap');
    expect(cm.metadata).toMatchObject({ name: 'argocd-cm', namespace: 'argocd' });
    expect(Object.keys(cm.data)).toEqual([
      'resource.customizations.health.cdi.kubevirt.io_DataVolume',
      'resource.customizations.health.kubevirt.io_VirtualMachine',
      'resource.customizations.health.kubevirt.io_VirtualMachineInstance',
      'resource.customizations.health.kubevirt.io_VirtualMachineInstanceMigration',
    ]);
    expect(Object.values(cm.data)).toEqual(healthChecks().map((c) => c.script));
    expect(lab({}, { argocd: { ...ARGOCD, healthChecks: false } }).byPath).not.toHaveProperty(['_argocd/argocd-cm.k8s.yaml']);
  });
});

/** RFC 6902 `add` (the only op the operator patch uses), as the API server applies it. */
function applyJsonPatch(document: Json, patch: { op: string; path: string; value: unknown }[]): Json {
  const result = structuredClone(document);
  for (const { op, path, value } of patch) {
    if (op !== 'add') throw new Error(`unexpected op ${op}`);
    const keys = path.split('/').slice(1);
    const last = keys.pop()!;
    const parent = keys.reduce((node, key) => {
      if (node[key] === undefined) throw new Error(`path ${path} does not exist`);
      return node[key];
    }, result);
    if (Array.isArray(parent) && last === '-') parent.push(value);
    else (parent as Json)[last] = value;
  }
  return result;
}

describe('kvmigrate argocd-health', () => {
  const run = (args: string[]) => kvmigrateInProcess(['argocd-health', ...args]);

  it('prints the argocd-cm fragment with the four scripts', async () => {
    const { code, stdout } = await run(['--namespace', 'openshift-gitops']);
    expect(code).toBe(0);
    const cm = parse(stdout);
    expect(cm.metadata).toMatchObject({ name: 'argocd-cm', namespace: 'openshift-gitops' });
    expect(cm.data['resource.customizations.health.kubevirt.io_VirtualMachineInstanceMigration']).toBe(healthChecks()[3]!.script);
  });

  it('--applications adds the argoproj.io/Application check, in both formats; without it the four stay alone', async () => {
    const key = 'resource.customizations.health.argoproj.io_Application';
    expect(parse((await run([])).stdout).data[key]).toBeUndefined();
    const cm = parse((await run(['--applications'])).stdout);
    expect(cm.data[key]).toBe(healthChecks({ applications: true })[4]!.script);
    const patch = JSON.parse((await run(['--format', 'operator', '--applications', '-o', 'json'])).stdout);
    expect(patch.at(-1).value).toMatchObject({ group: 'argoproj.io', kind: 'Application' });
  });

  it('prints the argocd-operator change as a JSON patch that appends to the list, never replaces it', async () => {
    const patch = JSON.parse((await run(['--format', 'operator', '-o', 'json'])).stdout);
    expect(patch.map((op: Json) => [op.op, op.path, `${op.value.group}/${op.value.kind}`])).toEqual(
      healthChecks().map((c) => ['add', '/spec/resourceHealthChecks/-', `${c.group}/${c.kind}`]),
    );
    expect(patch[0].value.check).toBe(healthChecks()[0]!.script);
    // Applied to an ArgoCD that has checks of its own: those stay (RFC 6902 add on "/-" appends).
    const existing = [{ group: 'apps', kind: 'Deployment', check: 'return {}' }];
    const applied = applyJsonPatch({ spec: { resourceHealthChecks: [...existing] } }, patch);
    expect(applied.spec.resourceHealthChecks.slice(0, 1)).toEqual(existing);
    expect(applied.spec.resourceHealthChecks).toHaveLength(5);
    const created = JSON.parse((await run(['--format', 'operator', '--create-list', '-o', 'json'])).stdout);
    expect(applyJsonPatch({ spec: {} }, created).spec.resourceHealthChecks).toHaveLength(4);
  });

  it("the argocd-cm apply line uses kvmigrate's own field manager, not the one Argo CD's install uses", async () => {
    const { stdout } = await run(['--help']);
    expect(stdout).toContain('kubectl apply --server-side --field-manager=kvmigrate -f -');
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('kubectl apply --server-side --field-manager=kvmigrate -f -');
  });

  it('refuses an unknown format', async () => {
    expect(await run(['--format', 'helm'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--format must be configmap or operator') });
  });
});

describe('kvmigrate cutover, abort and retry edit migrations.yaml in place', () => {
  const CONFIG = `# Moves for the platform team.
hook: { kubevirtNamespace: openshift-cnv }   # OpenShift
migrations:
  # the lab VM
  - vm: vm-migration-ns-ns-live
    source: { namespace: vm-live-migration-source, manifest: vms/vm-migration-ns-ns-live.yaml }
    destination:
      namespace: vm-live-migration-destination   # same cluster
    migrationID: "52e4398d-lab"   # from the lab
  # more to come
`;

  const servers: KubeApiServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  /** A cluster where the lab migration is at `stage`, read by the lifecycle commands as `status` reads it. */
  async function cluster(stage: 'arrived' | 'running' | 'parked'): Promise<KubeApiServer> {
    const api = await KubeApiServer.start();
    servers.push(api);
    const [src, dst, vmName] = ['vm-live-migration-source', 'vm-live-migration-destination', 'vm-migration-ns-ns-live'];
    const { plans } = synth(labWorkspace());
    const plan = plans[0]!;
    api.put({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: vmName, namespace: dst }, spec: { runStrategy: stage === 'arrived' ? 'Always' : 'WaitAsReceiver' } });
    api.put(vmi(vmName, dst, stage === 'arrived' ? 'Running' : 'WaitingForSync'));
    api.put(vmi(vmName, src, stage === 'arrived' ? 'Succeeded' : 'Running'));
    if (stage !== 'parked') {
      api.put(hookMigration(plan.receiveMigrationName, dst, { receive: { migrationID: plan.migrationID } }, stage === 'arrived' ? 'Succeeded' : 'Running'));
    }
    return api;
  }

  async function step(workspace: Workspace, args: string[], api?: KubeApiServer) {
    const kubeconfig = api ? ['--kubeconfig', api.writeKubeconfig(workspace.dir)] : [];
    const run = await kvmigrateInProcess([...args, '--config', workspace.path('migrations.yaml'), ...kubeconfig]);
    return { ...run, config: readFileSync(workspace.path('migrations.yaml'), 'utf8') };
  }

  function labWorkspace(config = CONFIG): Workspace {
    const workspace = new Workspace();
    workspace.write('vms/vm-migration-ns-ns-live.yaml', [labVm]);
    workspace.write('migrations.yaml', config);
    return workspace;
  }

  it('cutover, once the cluster shows the migration arrived, adds one line and keeps every comment and the layout', async () => {
    const result = await step(labWorkspace(), ['cutover', 'vm-migration-ns-ns-live'], await cluster('arrived'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Seen in the clusters: receive migration vm-migration-ns-ns-live-receive-');
    expect(result.stdout).toContain(': Succeeded;');
    expect(result.config).toBe(CONFIG.replace('# from the lab\n', '# from the lab\n    phase: cutover\n'));
    expect(result.stdout).toContain('vm-migration-ns-ns-live: migrate -> cutover in ');
    expect(result.stdout).toContain('write VM vm-live-migration-destination/vm-migration-ns-ns-live with runStrategy Always');
    expect(result.stdout).toContain("Checked: the migration arrived at the destination (receive migration Succeeded, or the receiver VM left WaitAsReceiver) and the receiver's VMI runs");
  });

  it.each([
    ['while the migration runs', 'running' as const, 'receive migration vm-migration-ns-ns-live-receive-'],
    ['before the receiver is even used', 'parked' as const, 'receiver VM: runStrategy WaitAsReceiver, VMI WaitingForSync'],
  ])('cutover %s is refused, config untouched, saying what it saw', async (_, stage, seen) => {
    const workspace = labWorkspace();
    const result = await step(workspace, ['cutover', 'vm-migration-ns-ns-live'], await cluster(stage));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cutover refused, config untouched: the migration has not arrived and run at the destination');
    expect(result.stderr).toContain(seen);
    expect(result.config).toBe(CONFIG);
  });

  it('cutover without a reachable cluster is refused; --force skips the check and says so', async () => {
    const workspace = labWorkspace();
    const refused = await step(workspace, ['cutover', 'vm-migration-ns-ns-live', '--kubeconfig', workspace.path('missing-kubeconfig')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('could not read the clusters');
    expect(refused.config).toBe(CONFIG);
    const forced = await step(workspace, ['cutover', 'vm-migration-ns-ns-live', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('Seen in the clusters: not checked (--force)');
    // Every line is true of what the command did: with --force it claims no check.
    expect(forced.stdout).toContain('Not checked (--force): whether the migration arrived and runs at the destination');
    expect(forced.stdout).not.toMatch(/checked first|Checked:/);
  });

  it('--dry-run checks, prints the config change as a unified diff, and writes nothing', async () => {
    const workspace = labWorkspace();
    const result = await step(workspace, ['cutover', 'vm-migration-ns-ns-live', '--dry-run'], await cluster('arrived'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.config).toBe(CONFIG);
    const file = workspace.path('migrations.yaml');
    expect(result.stdout).toContain(`--- ${file}\n+++ ${file} (after cutover)\n@@ `);
    expect(result.stdout).toContain('     migrationID: "52e4398d-lab"   # from the lab\n+    phase: cutover\n');
    expect(result.stdout).toContain(`Dry run: ${file} was not written. After the step, the next sync would:\n`);
    const refused = await step(workspace, ['cutover', 'vm-migration-ns-ns-live', '--dry-run'], await cluster('running'));
    expect(refused.code).toBe(1);
    const retry = await step(workspace, ['retry', 'vm-migration-ns-ns-live', '--dry-run', '-o', 'json']);
    expect(retry.config).toBe(CONFIG);
    expect(JSON.parse(retry.stdout)).toMatchObject({ dryRun: true, diff: expect.stringContaining('-    migrationID: "52e4398d-lab"   # from the lab\n+    attempt: 2\n') });
  });

  it('abort says what it saw: the running migrations it tells you to delete', async () => {
    const result = await step(labWorkspace(), ['abort', 'vm-migration-ns-ns-live'], await cluster('running'));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Seen in the clusters: receive migration vm-migration-ns-ns-live-receive-[0-9a-f]{8}: Running/);
  });

  it('abort --remove-receiver, then retry: back to migrate with a new attempt and a fresh migrationID', async () => {
    const workspace = labWorkspace();
    const aborted = await step(workspace, ['abort', 'vm-migration-ns-ns-live', '--remove-receiver']);
    expect(aborted.config).toBe(CONFIG.replace('# from the lab\n', '# from the lab\n    phase: abort\n    abort: { removeReceiver: true }\n'));
    expect(aborted.stdout).toContain('to cancel a running migration delete its receive migration (since KubeVirt v1.7 deleting either side cancels both): kubectl delete vmim -n vm-live-migration-destination');
    const retried = await step(workspace, ['retry', 'vm-migration-ns-ns-live']);
    expect(retried.config).toBe(CONFIG.replace('    migrationID: "52e4398d-lab"   # from the lab\n', '    attempt: 2\n'));
    expect(retried.stdout).toContain('the explicit migrationID 52e4398d-lab was removed: KubeVirt needs a fresh one');
    const { objects, plans } = synth(workspace);
    expect(plans[0]!.migrationID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5/);
    expect(only(objects, 'Job').spec.template.spec.containers[0].args).toContain(plans[0]!.migrationID);
  });

  it('-o json reports the change and the next sync', async () => {
    const result = await step(labWorkspace(), ['abort', 'vm-migration-ns-ns-live', '-o', 'json']);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: 'vm-migration-ns-ns-live', from: 'migrate', to: 'abort', nextSync: expect.any(Array) });
  });

  it.each([
    ['an unknown migration', ['cutover', 'nope'], 'no migration named "nope" (migrations: vm-migration-ns-ns-live)'],
    ['a cutover after an abort', ['cutover', 'vm-migration-ns-ns-live'], 'only a migration in phase migrate can be cut over', 'abort'],
    ['a retry after cutover', ['retry', 'vm-migration-ns-ns-live'], 'cutover is final', 'cutover'],
  ])('%s is refused and the file stays as it was', async (_, args, message, phase?: string) => {
    const config = phase ? CONFIG.replace('# from the lab\n', `# from the lab\n    phase: ${phase}\n`) : CONFIG;
    const result = await step(labWorkspace(config), args);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.config).toBe(config);
  });

  it('a step whose result would not compile (the split-brain guard) writes nothing', async () => {
    const config = CONFIG.replace('manifest: vms/vm-migration-ns-ns-live.yaml }', 'manifest: vms/vm-migration-ns-ns-live.yaml, manage: true }').replace(
      '# from the lab\n',
      '# from the lab\n    phase: abort\n',
    );
    const result = await step(labWorkspace(config), ['retry', 'vm-migration-ns-ns-live']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('a sync would start it again from its stale disks');
    expect(result.config).toBe(config);
  });
});

describe('documents', () => {
  it('every synthesized file of every phase parses back into objects', () => {
    for (const phase of ['migrate', 'cutover', 'abort']) {
      for (const file of lab({ phase }, { argocd: ARGOCD }).files) expect(documents(file.content).length).toBe(file.objects);
    }
  });
});
