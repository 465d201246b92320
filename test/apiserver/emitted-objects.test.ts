// Everything kvmigrate emits, on a real kube-apiserver with the shared CRDs installed: created by server-side apply
// and read back as sent (a structural schema prunes unknown fields without a word; a default or a normalisation would
// be a diff Argo CD shows as OutOfSync), and applied a second time without any change.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../lib/cli/main.ts';
import { hookMigrationObject } from '../../lib/cluster/send-migration.ts';
import { claim, documents, migration, vm, withClaim, withNamespace, withDataVolume, withDataVolumeTemplate, withVolume, Workspace } from '../support/builders.ts';
import { root } from '../support/processes.ts';
import { RealApiServer, realApiServerAvailable, type Json } from '../support/real-api-server.ts';
import { synth } from '../support/synth.ts';

/** The field manager Argo CD's server-side apply uses. */
const ARGOCD_MANAGER = 'argocd-controller';

let server: RealApiServer;
beforeAll(async () => {
  server = await RealApiServer.start();
  await server.installCrds();
});
afterAll(() => server?.stop());

/**
 * Where `live` differs from `sent` in a field `sent` sets: pruned, changed or defaulted into another value. Fields only
 * `live` has (uid, resourceVersion, server defaults of fields not sent) are no diff: Argo CD's diff ignores them too.
 */
function differences(sent: unknown, live: unknown, path = ''): string[] {
  if (Array.isArray(sent)) {
    if (!Array.isArray(live) || live.length !== sent.length) return [`${path}: sent ${JSON.stringify(sent)}, read back ${JSON.stringify(live)}`];
    return sent.flatMap((item, i) => differences(item, live[i], `${path}[${i}]`));
  }
  if (sent !== null && typeof sent === 'object') {
    if (live === null || typeof live !== 'object') return [`${path}: sent an object, read back ${JSON.stringify(live)}`];
    return Object.entries(sent).flatMap(([key, value]) =>
      key in live ? differences(value, (live as Json)[key], `${path}.${key}`) : [`${path}.${key}: pruned (sent ${JSON.stringify(value)})`],
    );
  }
  return sent === live ? [] : [`${path}: sent ${JSON.stringify(sent)}, read back ${JSON.stringify(live)}`];
}

/** Runs `task` over `items`, eight at a time (the server answers in parallel; a fleet has hundreds of objects). */
async function eachLimited<T>(items: readonly T[], task: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
  }));
}

/**
 * Applies `objects` as Argo CD would (server-side apply, its field manager) into fresh namespaces; returns, per object,
 * what the read-back lost or changed, and which objects a second apply changed (a new resourceVersion) or refused.
 */
async function roundTrip(objects: readonly Json[]): Promise<{ diffs: string[]; secondApply: string[] }> {
  await server.namespaces(...new Set(objects.map((o) => o.metadata.namespace).filter(Boolean)));
  const diffs: string[] = [];
  const secondApply: string[] = [];
  await eachLimited(objects, async (object) => {
    const where = `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    const first = await server.apply(object, ARGOCD_MANAGER);
    if (first.status !== 201 && first.status !== 200) {
      diffs.push(`${where}: apply answered ${first.status} ${first.body.message}`);
      return;
    }
    const live = await server.read(object);
    diffs.push(...differences(object, live).map((d) => `${where} ${d}`));
    const second = await server.apply(object, ARGOCD_MANAGER);
    if (second.status !== 200) secondApply.push(`${where}: ${second.status} ${second.body.message}`);
    else if (second.body.metadata.resourceVersion !== live.metadata.resourceVersion) secondApply.push(`${where}: changed by a second apply`);
  });
  return { diffs, secondApply };
}

/** The migrations of `plans` as the hook creates them at run time (from each Job's arguments). */
function hookMigrations(plans: readonly Json[]): Json[] {
  return plans.flatMap((plan) => [
    hookMigrationObject(plan.receiveMigrationName, plan.destination.namespace, { vmi: plan.vm, migrationID: plan.migrationID }, { receive: { migrationID: plan.migrationID } }),
    hookMigrationObject(plan.sendMigrationName, plan.source.namespace, { vmi: plan.vm, migrationID: plan.migrationID }, { sendTo: { migrationID: plan.migrationID, connectURL: '10.0.0.1:9185' } }),
  ]) as Json[];
}

/** Every object of the committed dist/ (the bundled example, checked current by CI). */
function bundledExample(): Json[] {
  const files = readdirSync(join(root, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml')).sort();
  return files.flatMap((file) => documents(readFileSync(join(root, 'dist', file), 'utf8')));
}

describe.skipIf(!realApiServerAvailable)('emitted objects on a real API server, with the shared CRDs', () => {
  it('the differences check finds a pruned field and a changed value (so an empty list means something)', async () => {
    // A field the VirtualMachine CRD does not know is pruned on a real server, silently (no warning in 1.20).
    const lab = structuredClone(bundledExample().find((o) => o.kind === 'VirtualMachine')!);
    lab.metadata.namespace = 'prune-check';
    lab.spec.template.spec.domain.notAField = true;
    // A built-in quantity the server normalises: "1000m" CPU is stored as "1".
    const config = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'prune-check' }, spec: { hard: { cpu: '1000m' } } };
    const { diffs } = await roundTrip([lab, config]);
    expect(diffs.sort()).toEqual([
      'ResourceQuota prune-check/q .spec.hard.cpu: sent "1000m", read back "1"',
      'VirtualMachine prune-check/vm-migration-ns-ns-live .spec.template.spec.domain.notAField: pruned (sent true)',
    ]);
  });

  it('the bundled example (dist/) and the migrations its hook creates: read back as sent, a second apply changes nothing', async () => {
    const objects = bundledExample();
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['VirtualMachine', 'DataVolume', 'Job', 'Role', 'RoleBinding', 'ServiceAccount']));
    const result = synth(labWorkspace());
    expect(await roundTrip([...objects, ...hookMigrations(result.plans as never)])).toEqual({ diffs: [], secondApply: [] });
  });

  it('a multi-disk cross-cluster migration, both clusters\' folders', async () => {
    const workspace = new Workspace();
    const db = vm(
      'db',
      withNamespace('xc-src'),
      withDataVolume('root', 'db-root'),
      withDataVolumeTemplate('db-root', { size: '20Gi', storageClassName: 'fast', volumeMode: 'Block', accessModes: ['ReadWriteMany'] }),
      withDataVolume('logs', 'db-logs'),
      withDataVolumeTemplate('db-logs', { size: '5Gi' }, 'pvc'),
      withClaim('data', 'db-data'),
      withVolume({ name: 'ci', cloudInitNoCloud: { userData: '#cloud-config\n' } }),
    );
    workspace.setup(
      { migrations: [migration('db', { source: { cluster: 'east', namespace: 'xc-src' }, destination: { cluster: 'west', namespace: 'xc-dst' }, hook: { destinationKubeconfigSecret: 'west' } })] },
      { db: [db, claim('db-data', { size: '100Gi', storageClassName: 'fast' }, 'xc-src')] },
    );
    const { byPath, plans } = synth(workspace);
    expect(Object.keys(byPath).sort()).toEqual(['east/db.k8s.yaml', 'west/db.k8s.yaml']);
    const objects = Object.values(byPath).flat();
    expect(objects.filter((o) => o.kind === 'DataVolume')).toHaveLength(3);
    expect(await roundTrip([...objects, ...hookMigrations(plans as never)])).toEqual({ diffs: [], secondApply: [] });
  });

  it('a fleet of 50 migrations', async () => {
    const workspace = new Workspace();
    const names = Array.from({ length: 50 }, (_, i) => `fleet-${String(i).padStart(2, '0')}`);
    workspace.setup(
      { migrations: names.map((name) => migration(name, { source: { namespace: 'fleet-src' }, destination: { namespace: 'fleet-dst' } })) },
      Object.fromEntries(names.map((name) => [name, [{ ...vm(name, withDataVolume('root', `${name}-root`), withDataVolumeTemplate(`${name}-root`, { size: '10Gi' })), metadata: { name, namespace: 'fleet-src' } }]])),
    );
    const { objects, plans } = synth(workspace);
    expect(objects.filter((o) => o.kind === 'VirtualMachine')).toHaveLength(50);
    expect(await roundTrip([...objects, ...hookMigrations(plans as never)])).toEqual({ diffs: [], secondApply: [] });
  });

  it('the Argo CD objects: Applications and the argocd-cm health checks, with a managed source', async () => {
    const workspace = labWorkspace({ argocd: { repoURL: 'https://git.example.com/platform/vm-moves.git', targetRevision: 'main', namespace: 'argocd-real' }, manage: true });
    const { byPath } = synth(workspace);
    const argocd = byPath['_argocd/applications.k8s.yaml']!;
    const cm = byPath['_argocd/argocd-cm.k8s.yaml']!;
    expect(argocd.map((o) => o.kind)).toEqual(['Application']);
    expect(cm.map((o) => o.kind)).toEqual(['ConfigMap']);
    expect(await roundTrip(Object.values(byPath).flat())).toEqual({ diffs: [], secondApply: [] });
  });
});

describe.skipIf(!realApiServerAvailable)("the Argo CD health checks installed with kvmigrate's own field manager", () => {
  const ARGOCD_CM = '/api/v1/namespaces/argocd-health/configmaps/argocd-cm';

  /** `kvmigrate argocd-health` applied as the README says: kubectl apply --server-side --field-manager=kvmigrate. */
  async function install(edit: (yaml: string) => string = (yaml) => yaml): Promise<Json> {
    let yaml = '';
    expect(await main(['argocd-health', '--namespace', 'argocd-health'], { stdout: (t) => (yaml += t), stderr: () => {} })).toBe(0);
    return server.ok('PATCH', `${ARGOCD_CM}?fieldManager=kvmigrate`, edit(yaml), { contentType: 'application/apply-patch+yaml' });
  }

  it("keeps every key Argo CD's install and server own, owns only its four scripts, and a second install changes nothing", async () => {
    await server.namespaces('argocd-health');
    // Argo CD's install (kubectl client-side apply) and its server (an update) own keys of their own.
    await server.ok('POST', '/api/v1/namespaces/argocd-health/configmaps?fieldManager=kubectl-client-side-apply', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-cm', namespace: 'argocd-health', labels: { 'app.kubernetes.io/part-of': 'argocd' } },
      data: { url: 'https://argocd.example.com', 'resource.customizations.health.apps_Deployment': 'return {}' },
    });
    await server.ok('PATCH', `${ARGOCD_CM}?fieldManager=argocd-server`, { data: { 'admin.enabled': 'false' } }, { contentType: 'application/merge-patch+json' });
    const installed = await install();
    const scripts = Object.keys(installed.data).filter((key) => key.startsWith('resource.customizations.health.') && key !== 'resource.customizations.health.apps_Deployment');
    expect(scripts.sort()).toEqual([
      'resource.customizations.health.cdi.kubevirt.io_DataVolume',
      'resource.customizations.health.kubevirt.io_VirtualMachine',
      'resource.customizations.health.kubevirt.io_VirtualMachineInstance',
      'resource.customizations.health.kubevirt.io_VirtualMachineInstanceMigration',
    ]);
    expect(installed.data).toMatchObject({ url: 'https://argocd.example.com', 'resource.customizations.health.apps_Deployment': 'return {}', 'admin.enabled': 'false' });
    expect(installed.metadata.labels).toMatchObject({ 'app.kubernetes.io/part-of': 'argocd' });
    const owned = installed.metadata.managedFields.find((f: Json) => f.manager === 'kvmigrate');
    expect(owned.operation).toBe('Apply');
    expect(Object.keys(owned.fieldsV1['f:data']).sort()).toEqual(scripts.map((key) => `f:${key}`).sort());
    expect((await install()).metadata.resourceVersion).toBe(installed.metadata.resourceVersion);
  });

  it("an install without one of its scripts removes that one key, none of the others' (server-side apply's ownership)", async () => {
    const dropped = 'resource.customizations.health.kubevirt.io_VirtualMachineInstance';
    const without = await install((yaml) => {
      const document = parse(yaml);
      delete document.data[dropped];
      return JSON.stringify(document);
    });
    expect(without.data).not.toHaveProperty(dropped);
    expect(without.data).toMatchObject({ url: 'https://argocd.example.com', 'admin.enabled': 'false', 'resource.customizations.health.kubevirt.io_VirtualMachine': expect.any(String) });
    expect((await install()).data).toHaveProperty(dropped);
  });
});

/** The bundled example's config and VM in a workspace, in namespaces of its own, with `argocd` and a managed source when asked. */
function labWorkspace(options: { argocd?: Json; manage?: boolean } = {}): Workspace {
  const workspace = new Workspace();
  const config = documents(readFileSync(join(root, 'migrations.yaml'), 'utf8'))[0]!;
  workspace.write('vms/vm-migration-ns-ns-live.yaml', readFileSync(join(root, 'vms/vm-migration-ns-ns-live.yaml'), 'utf8'));
  if (options.manage) config.migrations[0].source.manage = true;
  workspace.write('migrations.yaml', { ...config, ...(options.argocd && { argocd: options.argocd }) });
  return workspace;
}
