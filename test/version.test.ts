import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from './support/builders.ts';
import { kvmigrateInProcess } from './support/cli.ts';
import { kubevirt } from './support/cluster-objects.ts';
import { KubeApiServer } from './support/kube-api-server.ts';

const servers: KubeApiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

const version = (args: string[]) => kvmigrateInProcess(['version', ...args]);

describe('kvmigrate version', () => {
  it('alone: the client version, without reading any cluster', async () => {
    const run = await version([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^kvmigrate: \d+\.\d+\.\d+\n$/);
  });

  it("with a kubeconfig: the cluster's KubeVirt and CDI versions and the feature gate, read as preflight reads it", async () => {
    const api = await KubeApiServer.start();
    servers.push(api);
    api.put(kubevirt('kubevirt', { gate: true, version: 'v1.7.1' }));
    api.put({ apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'CDI', metadata: { name: 'cdi' }, status: { observedVersion: 'v1.63.0' } } as never);
    const kubeconfig = api.writeKubeconfig(new Workspace().dir);
    const run = await version(['--kubeconfig', kubeconfig]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^kvmigrate: \S+\ncluster: https?:\/\/127\.0\.0\.1:\d+\n  KubeVirt: v1\.7\.1\n  CDI: v1\.63\.0\n  feature gate DecentralizedLiveMigration: on \(DecentralizedLiveMigration listed in the KubeVirt CR\)\n$/);
    api.remove('KubeVirt', 'kubevirt', 'kubevirt');
    api.put(kubevirt('kubevirt', { gate: false, version: 'v1.7.1' }));
    const json = JSON.parse((await version(['--kubeconfig', kubeconfig, '-o', 'json'])).stdout);
    expect(json.cluster).toMatchObject({ kubevirt: 'v1.7.1', cdi: 'v1.63.0', featureGate: { result: 'fail' } });
  });
});
