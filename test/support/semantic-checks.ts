import { RESTORE_RUN_STRATEGY_ANNOTATION, RUN_STRATEGIES } from '../../lib/kubevirt/api.ts';
import { SYNC_WAVE_ANNOTATION } from '../../lib/constructs/argocd-annotations.ts';

type Obj = { apiVersion: string; kind: string; metadata: { name?: string; namespace?: string; annotations?: Record<string, string> }; spec?: any };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * What the CRD schemas cannot catch (they declare runStrategy as a plain string and allow unknown fields):
 * KubeVirt's own rules for the objects we emit.
 */
export function semanticErrors(object: Obj): string[] {
  const errors: string[] = [];
  const where = `${object.kind} ${object.metadata.namespace}/${object.metadata.name}`;
  const name = object.metadata.name ?? '';
  if (!DNS_LABEL.test(name) || name.length > 63) errors.push(`${where}: name is not a DNS label of at most 63 characters`);
  if (!object.metadata.namespace) errors.push(`${where}: no namespace`);
  const wave = object.metadata.annotations?.[SYNC_WAVE_ANNOTATION];
  // Migrations are the hook's, created at run time: never in Git, so no wave.
  if (object.kind === 'VirtualMachineInstanceMigration' && wave !== undefined) errors.push(`${where}: a migration carries Argo CD's sync-wave`);
  if (object.kind !== 'VirtualMachineInstanceMigration' && (wave === undefined || !/^-?\d+$/.test(wave))) errors.push(`${where}: sync-wave annotation missing or not an integer`);
  if (object.kind === 'VirtualMachine') {
    const runStrategy = object.spec?.runStrategy;
    if (!(RUN_STRATEGIES as readonly string[]).includes(runStrategy)) errors.push(`${where}: runStrategy "${runStrategy}" is not one of KubeVirt's`);
    if (object.spec?.running !== undefined) errors.push(`${where}: sets spec.running`);
    if (object.spec?.dataVolumeTemplates !== undefined) errors.push(`${where}: a receiver must not have dataVolumeTemplates`);
    const restore = object.metadata.annotations?.[RESTORE_RUN_STRATEGY_ANNOTATION];
    if (runStrategy === 'WaitAsReceiver' && !['Always', 'RerunOnFailure', 'Manual', 'Once'].includes(restore ?? '')) {
      errors.push(`${where}: receiver without a valid ${RESTORE_RUN_STRATEGY_ANNOTATION} (stays WaitAsReceiver forever)`);
    }
  }
  if (object.kind === 'VirtualMachineInstanceMigration') {
    const sides = ['sendTo', 'receive'].filter((k) => object.spec?.[k] !== undefined);
    if (sides.length !== 1) errors.push(`${where}: a decentralized migration sets exactly one of sendTo and receive`);
    if (!object.spec?.vmiName) errors.push(`${where}: no vmiName`);
    if (object.spec?.sendTo && !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(object.spec.sendTo.connectURL ?? '')) {
      errors.push(`${where}: connectURL is not host:port`);
    }
  }
  if (object.kind === 'DataVolume') {
    if (object.metadata.annotations?.['cdi.kubevirt.io/storage.usePopulator'] !== 'true') errors.push(`${where}: not populator-backed`);
    if (!object.spec?.source?.blank) errors.push(`${where}: not blank`);
  }
  return errors;
}
