// The lab both engines' lifecycle tests run in (test/lifecycle.test.ts on the Argo CD replay,
// test/flux-lifecycle.test.ts on the Flux replay): one test API server with KubeVirt, the source VMs running in
// namespace src, a repository that migrates them to namespace dst, and the checks every scenario ends with.
import { expect, onTestFinished } from 'vitest';
import { migration, vm, withDataVolume, withDataVolumeTemplate, Workspace } from './builders.ts';
import { kvmigrateInProcess } from './cli.ts';
import { kubevirt } from './cluster-objects.ts';
import { KubeVirtModel } from './controllers.ts';
import { KubeApiServer } from './kube-api-server.ts';
import { synth, type Json } from './synth.ts';

const machine = (name: string) => vm(name, withDataVolume('root', `${name}-root`), withDataVolumeTemplate(`${name}-root`, { size: '1Gi', storageClassName: 'fast' }));

/**
 * `entries` (`{ vm, extra }`: a migration of VM `vm` with `extra` fields) under `config` (the engine's section and
 * anything else), on a fresh API server that is stopped when the test ends.
 */
export async function lifecycleLab(entries: Json[], config: Json) {
  const api = await KubeApiServer.start();
  onTestFinished(() => api.stop());
  const kubevirtModel = new KubeVirtModel(api);
  const workspace = new Workspace();
  const vms = entries.map((e) => e.vm as string);
  const writeConfig = (list: Json[]) => workspace.setup({ ...config, migrations: list.map((e) => migration(e.vm, e.extra)) }, Object.fromEntries(vms.map((v) => [v, [machine(v)]])));
  writeConfig(entries);
  api.put(kubevirt('kubevirt', { addresses: ['10.128.0.9:9185'] }));
  for (const name of vms) api.put({ ...machine(name), metadata: { name, namespace: 'src' } } as never);
  kubevirtModel.settle();
  const kubeconfig = api.writeKubeconfig(workspace.dir);
  const splitBrain = (): string[] => vms.filter((name) => kubevirtModel.runningCopies(name) > 1);
  const migrations = () => api.list('VirtualMachineInstanceMigration');
  return {
    api,
    kubevirt: kubevirtModel,
    workspace,
    kubeconfig,
    writeConfig,
    /** What Git holds now: the synthesized files by path, and the objects of the cluster folder. */
    desired: () => {
      const { byPath } = synth(workspace);
      return { byPath, objects: Object.entries(byPath).filter(([path]) => path.startsWith('default/')).flatMap(([, o]) => o) };
    },
    /** The VMs running at both ends: after every pass of the engine and KubeVirt, none. */
    splitBrain,
    command: (...args: string[]) => kvmigrateInProcess([...args, '--config', workspace.path('migrations.yaml'), '--kubeconfig', kubeconfig]),
    migrations,
    /** Migrations neither Succeeded nor Failed, as `namespace/name`. */
    unfinished: () => migrations().filter((m) => !['Succeeded', 'Failed'].includes(m.status?.phase)).map((m) => `${m.metadata.namespace}/${m.metadata.name}`),
    vmi: (namespace: string, name: string) => api.get('VirtualMachineInstance', namespace, name)?.status?.phase,
  };
}

export type LifecycleLab = Awaited<ReturnType<typeof lifecycleLab>>;

/**
 * The VM arrived, once: it runs at the destination and not at the source, the source VM is Halted and the receiver
 * has the run strategy KubeVirt restored, the hook created both migrations, and none is left unfinished.
 */
export function expectArrived(l: LifecycleLab, name = 'web'): void {
  expect(l.vmi('dst', name)).toBe('Running');
  expect(l.vmi('src', name)).toBeUndefined();
  expect(l.api.get('VirtualMachine', 'src', name)!.spec.runStrategy).toBe('Halted');
  expect(l.api.get('VirtualMachine', 'dst', name)!.spec.runStrategy).toBe('Always');
  expect(l.api.creates('VirtualMachineInstanceMigration').map((r) => r.status)).toEqual([201, 201]);
  expect(l.unfinished()).toEqual([]);
}

/** After cutover: the source stays Halted, the destination VM is a plain running one, and the hook Job is gone. */
export function expectCutOver(l: LifecycleLab, name = 'web'): void {
  expect(l.api.get('VirtualMachine', 'src', name)!.spec.runStrategy).toBe('Halted');
  expect(l.api.get('VirtualMachine', 'dst', name)!.spec.runStrategy).toBe('Always');
  expect(l.api.list('Job')).toEqual([]);
}
