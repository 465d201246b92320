// kvmigrate diff on a real kube-apiserver with the shared CRDs: the server's server-side apply dry run decides (its
// defaults, its managed fields, its merge with what other managers own), as kubectl diff `InfoObject.Merged`
// (--server-side) and gitops-engine `diff.ServerSideDiff` let it decide.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migration, vm, withDataVolume, withDataVolumeTemplate, Workspace } from '../support/builders.ts';
import { kvmigrateInProcess } from '../support/cli.ts';
import { RealApiServer, realApiServerAvailable } from '../support/real-api-server.ts';
import { synth } from '../support/synth.ts';

let server: RealApiServer;
beforeAll(async () => {
  if (!realApiServerAvailable) return;
  server = await RealApiServer.start();
  await server.installCrds();
});
afterAll(() => server?.stop());

const machine = (size: string) => ({ ...vm('web', withDataVolume('root', 'web-root'), withDataVolumeTemplate('web-root', { size })), metadata: { name: 'web', namespace: 'df-src' } });

const diff = (workspace: Workspace, args: string[] = []) => kvmigrateInProcess(['diff', '--config', workspace.path('migrations.yaml'), '--kubeconfig', server.writeKubeconfig(workspace.dir), ...args]);

describe.skipIf(!realApiServerAvailable)('kvmigrate diff against a real API server', () => {
  it('after a server-side apply as Argo CD: unchanged (defaults and managed fields are the server\'s); a new disk size: update', async () => {
    const workspace = new Workspace();
    const config = { argocd: { repoURL: 'https://git.example.com/x.git' }, migrations: [migration('web', { source: { namespace: 'df-src' }, destination: { namespace: 'df-dst' } })] };
    workspace.setup(config, { web: [machine('1Gi')] });
    await server.namespaces('df-src', 'df-dst');
    // The cluster folder's objects applied as Argo CD applies them (its field manager, force); the hook Job too, as
    // the last sync left it.
    for (const object of synth(workspace).byPath['default/web.k8s.yaml']!) {
      const answer = await server.apply(object, 'argocd-controller', { force: true });
      expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300);
    }
    // KubeVirt rewrites the receiver's runStrategy (virt-controller's own update): ignored, as the Application ignores it.
    const receiver = await server.read({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'web', namespace: 'df-dst' } });
    await server.ok('PUT', await server.pathOf(receiver), { ...receiver, spec: { ...receiver.spec, runStrategy: 'Always' } });

    const current = await diff(workspace, ['web']);
    expect(current.code, current.stdout + current.stderr).toBe(0);
    expect(current.stdout).toContain('unchanged  default VirtualMachine df-dst/web\n');
    expect(current.stdout).toContain('unchanged  default DataVolume df-dst/web-root\n');
    expect(current.stdout).toMatch(/^hook       default Job df-src\/web-send-hook-\w+  \(runs on sync, not compared\)$/m);
    expect(current.stdout).not.toMatch(/^(create|update) /m);

    workspace.setup(config, { web: [machine('2Gi')] });
    const changed = await diff(workspace, ['web', '-o', 'json']);
    expect(changed.code).toBe(1);
    const changes = JSON.parse(changed.stdout).objects.filter((o: { change: string }) => o.change !== 'unchanged' && o.change !== 'hook');
    expect(changes).toEqual([expect.objectContaining({ change: 'update', kind: 'DataVolume', name: 'web-root' })]);
    expect(changes[0].diff).toMatch(/^-        storage: 1Gi\n\+        storage: 2Gi$/m);
  });
});
