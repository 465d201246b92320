import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ClusterApi } from '../lib/cluster/cluster-api.ts';
import { connect } from '../lib/cluster/kube-clients.ts';
import { migration, vm, withDataVolume, withDataVolumeTemplate, Workspace } from './support/builders.ts';
import { kvmigrateInProcess } from './support/cli.ts';
import { KubeApiServer, twoClusterKubeconfig } from './support/kube-api-server.ts';
import { ofKind, synth } from './support/synth.ts';

const servers: KubeApiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/** Two clusters in one kubeconfig, and a cross-cluster migration of VM `a` from east to west. */
async function crossCluster() {
  const [east, west] = [await KubeApiServer.start(), await KubeApiServer.start()];
  servers.push(east, west);
  const workspace = new Workspace();
  workspace.write('kubeconfig', twoClusterKubeconfig(east, west));
  workspace.setup(
    {
      clusters: { east: { kubeContext: 'east-admin' }, west: { kubeContext: 'west-admin' } },
      migrations: [migration('a', { source: { cluster: 'east' }, destination: { cluster: 'west' }, hook: { destinationKubeconfigSecret: 'west-kubeconfig' } })],
    },
    { a: [vm('a', withDataVolume('root', 'root-dv'), withDataVolumeTemplate('root-dv', { size: '1Gi' }))] },
  );
  // The destination folder, synced: its ServiceAccount exists on west.
  const { byPath } = synth(workspace);
  for (const account of ofKind(byPath['west/a.k8s.yaml']!, 'ServiceAccount')) west.put(account as never);
  const run = (args: string[]) => kvmigrateInProcess(['hook-kubeconfig', 'a', '--config', workspace.path('migrations.yaml'), '--kubeconfig', workspace.path('kubeconfig'), ...args]);
  return { east, west, workspace, run };
}

describe('kvmigrate hook-kubeconfig', () => {
  it("prints the hook's Secret: a bound token of the migration's destination ServiceAccount, the server and CA settings", async () => {
    const { west, workspace, run } = await crossCluster();
    const result = await run(['--duration', '2h']);
    expect(result.code, result.stderr).toBe(0);
    const secret = parse(result.stdout);
    expect(secret.metadata).toMatchObject({ name: 'west-kubeconfig', namespace: 'src', annotations: { 'kvmigrate.io/token-expires': '2026-11-30T14:00:00Z' } });
    expect(west.tokens.map((t) => [t.namespace, t.account, t.seconds])).toEqual([['dst', 'a-kvmigrate-hook', 7200]]);
    const kubeconfig = JSON.parse(secret.stringData.kubeconfig);
    expect(kubeconfig.clusters[0].cluster).toEqual({ server: west.url, 'insecure-skip-tls-verify': true });
    expect(kubeconfig.users[0].user.token).toBe(west.tokens[0]!.token);
    // The kubeconfig works as the hook would use it: against the destination, as that identity.
    const file = workspace.path('destination-kubeconfig');
    writeFileSync(file, secret.stringData.kubeconfig);
    const api = new ClusterApi(connect({ kubeconfig: file }, 5000));
    expect(api.server).toBe(west.url);
    expect((await api.listMigrations('dst')).length).toBe(0);
  });

  it('--create writes the Secret on the source cluster, and a second run replaces it with a new token', async () => {
    const { east, west, run } = await crossCluster();
    const first = await run(['--create']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`created Secret src/west-kubeconfig on ${east.url}: a token of dst/a-kvmigrate-hook, valid until 2026-12-01T12:00:00Z`);
    const second = await run(['--create', '-o', 'json']);
    expect(JSON.parse(second.stdout)).toMatchObject({ outcome: 'replaced' });
    const stored = east.get('Secret', 'src', 'west-kubeconfig')!;
    expect(JSON.parse(stored.stringData.kubeconfig).users[0].user.token).toBe(west.tokens[1]!.token);
    expect(JSON.stringify(stored)).not.toContain(west.token);
  });

  it('fails clearly before the destination folder is synced, and for a bad duration', async () => {
    const { west, run } = await crossCluster();
    west.remove('ServiceAccount', 'dst', 'a-kvmigrate-hook');
    const missing = await run([]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ServiceAccount dst/a-kvmigrate-hook does not exist on');
    expect(missing.stderr).toContain('sync the destination folder first');
    const short = await run(['--duration', '5m']);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('--duration must be at least 10 minutes');
  });
});
