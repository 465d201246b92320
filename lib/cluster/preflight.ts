import { DEFAULT_KUBEVIRT_NAMESPACE, SYNC_CONTROLLER_LEASE } from '../kubevirt/api.ts';
import { DEFAULT_FILESYSTEM_OVERHEAD } from '../kubevirt/filesystem-overhead.ts';
import { MANAGED_BY, MANAGED_BY_LABEL, MIGRATION_LABEL } from '../constructs/labels.ts';
import type { DiskPlan } from '../plan/disks.ts';
import type { MigrationPlan } from '../plan/plan.ts';
import type { ClusterApi, KubeObject } from './cluster-api.ts';
import { call, type CallContext } from './cluster-calls.ts';
import { conflictingMigrations, notMigratable } from './migration-admission.ts';
import { sourceNotHaltedRefusal } from '../rules/migration.ts';
import { findKubeVirt } from './sync-address.ts';
import { duration } from '../duration.ts';
import { batchQueues, type BatchQueue, type HookDeadline } from './migration-queue.ts';
import { readClusterMigrations } from './migration-status.ts';

export type CheckResult = 'pass' | 'warn' | 'fail';

export interface Check {
  readonly check: string;
  readonly result: CheckResult;
  readonly detail: string;
  /** What to do about a warn or fail. */
  readonly fix?: string;
}

export interface PreflightClusters {
  readonly source: ClusterApi;
  readonly destination: ClusterApi;
}

const FEATURE_GATE = 'DecentralizedLiveMigration';

/** `v1.9.2` -> [1, 9]; undefined when not a version. */
function minorVersion(version: unknown): [number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)/.exec(String(version ?? ''));
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/** Whether KubeVirt `version` is at least `[major, minor]`; false when unknown. */
function atLeast(version: unknown, [major, minor]: readonly [number, number]): boolean {
  const have = minorVersion(version);
  return have !== undefined && (have[0] > major || (have[0] === major && have[1] >= minor));
}

/** The feature gate is Beta, on by default, from KubeVirt v1.10 (`featuregate/active.go`). */
const BETA_SINCE = [1, 10] as const;
/** Receivers handle a volume mode change from v1.8.0 (kubevirt#16637, `handleWaitAsReceiverVolumeInfo` in vm.go). */
const VOLUME_MODE_CHANGE_SINCE = [1, 8] as const;

const pass = (check: string, detail: string): Check => ({ check, result: 'pass', detail });
const warn = (check: string, detail: string, fix?: string): Check => ({ check, result: 'warn', detail, fix });
const fail = (check: string, detail: string, fix?: string): Check => ({ check, result: 'fail', detail, fix });

/** Runs the checks of one end of the migration that concern KubeVirt itself: feature gate and sync controller. */
export async function checkKubeVirt(
  api: ClusterApi,
  context: CallContext,
  side: string,
  namespace: string | undefined,
): Promise<{ checks: Check[]; version?: string; namespace?: string; kubevirt?: KubeObject }> {
  const kubevirt = await findKubeVirt(api, context, namespace);
  if (!kubevirt) {
    return { checks: [fail(`${side}: KubeVirt`, `no KubeVirt CR in ${namespace ?? 'kubevirt or openshift-cnv'} on ${api.server}`, 'install KubeVirt, or set hook.kubevirtNamespace')] };
  }
  const kvNamespace = kubevirt.metadata!.namespace!;
  const version = kubevirt.status?.observedKubeVirtVersion as string | undefined;
  const developer = kubevirt.spec?.configuration?.developerConfiguration ?? {};
  const gates: string[] = developer.featureGates ?? [];
  const disabled: string[] = developer.disabledFeatureGates ?? [];
  const onByDefault = atLeast(version, BETA_SINCE);
  const hco = kvNamespace === 'openshift-cnv' ? (await call(context, 'list HyperConverged', () => api.listHyperConvergeds(kvNamespace)))?.[0] : undefined;
  const checks: Check[] = [];
  const gateCheck = `${side}: feature gate`;
  // KubeVirt's `featuregate.IsEnabled`: an explicit enable wins, then an explicit disable, then Beta's default (on).
  if (gates.includes(FEATURE_GATE)) checks.push(pass(gateCheck, `${FEATURE_GATE} listed in the KubeVirt CR`));
  else if (hco?.spec?.featureGates?.decentralizedLiveMigration === true) checks.push(pass(gateCheck, 'enabled in the HyperConverged CR'));
  else if (disabled.includes(FEATURE_GATE)) {
    checks.push(
      fail(gateCheck, `${FEATURE_GATE} is switched off in disabledFeatureGates of KubeVirt ${kvNamespace}/${kubevirt.metadata?.name}`, `remove it from spec.configuration.developerConfiguration.disabledFeatureGates`),
    );
  } else if (onByDefault) checks.push(pass(gateCheck, `on by default (Beta) in KubeVirt ${version}`));
  else {
    checks.push(
      fail(
        gateCheck,
        `${FEATURE_GATE} is off (KubeVirt ${version ?? 'version unknown'})`,
        hco
          ? `set spec.featureGates.decentralizedLiveMigration: true in HyperConverged ${kvNamespace}/${hco.metadata?.name}`
          : `add ${FEATURE_GATE} to spec.configuration.developerConfiguration.featureGates of KubeVirt ${kvNamespace}/${kubevirt.metadata?.name}`,
      ),
    );
  }

  const lease = await call(context, `read Lease ${kvNamespace}/${SYNC_CONTROLLER_LEASE}`, () => api.getLease(kvNamespace, SYNC_CONTROLLER_LEASE));
  const holder = lease?.spec?.holderIdentity;
  const pod = holder ? await call(context, `read Pod ${kvNamespace}/${holder}`, () => api.getPod(kvNamespace, holder)) : undefined;
  const addresses: string[] = kubevirt.status?.synchronizationAddresses ?? [];
  if (!holder) checks.push(fail(`${side}: sync controller`, `no leader in Lease ${kvNamespace}/${SYNC_CONTROLLER_LEASE}`, 'check the virt-synchronization-controller Deployment (it runs once the feature gate is on)'));
  else if (pod?.metadata?.deletionTimestamp) {
    // virt-operator publishes no address for a terminating leader (`updateSynchronizationAddress`); a new one takes over.
    checks.push(fail(`${side}: sync controller`, `leader pod ${kvNamespace}/${holder} is terminating`, 'wait for the next leader election, then run preflight again'));
  } else if (!pod || pod.status?.phase !== 'Running' || !pod.status?.podIP) {
    checks.push(fail(`${side}: sync controller`, `leader pod ${kvNamespace}/${holder} is ${pod ? `${pod.status?.phase ?? 'unknown'} without a usable IP` : 'gone'}`, 'wait for a new leader, or check the virt-synchronization-controller pods'));
  } else if (addresses.length === 0) {
    checks.push(warn(`${side}: sync controller`, `leader ${holder} at ${pod.status.podIP}, but KubeVirt publishes no synchronizationAddresses`, 'the hook falls back to the leader pod IP, which misses a dedicated migration network'));
  } else checks.push(pass(`${side}: sync controller`, `leader ${holder}, published ${addresses.join(', ')}`));
  return { checks, version, namespace: kvNamespace, kubevirt };
}

async function checkSourceVm(api: ClusterApi, context: CallContext, plan: MigrationPlan): Promise<Check[]> {
  const { namespace } = plan.source;
  const vm = await call(context, `read VirtualMachine ${namespace}/${plan.vm}`, () => api.getVirtualMachine(namespace, plan.vm));
  if (!vm) return [fail('source VM', `VirtualMachine ${namespace}/${plan.vm} not found`)];
  const vmi = await call(context, `read VMI ${namespace}/${plan.vm}`, () => api.getInstance(namespace, plan.vm));
  const checks: Check[] = [checkRunStrategy(vm, plan)];
  const uuid = checkFirmwareUuid(vm, vmi, plan);
  if (uuid) checks.push(uuid);
  if (vmi?.status?.phase !== 'Running') return [...checks, fail('source VM', `its VMI is ${vmi ? (vmi.status?.phase ?? 'without a phase') : 'absent'}, not Running`, 'start the VM: only a running VM migrates live')];
  const conditions = (vmi.status?.conditions ?? []) as { type: string; status: string; reason?: string; message?: string }[];
  // The VMIM create admitter's `isMigratable` (migration-admission.ts).
  const refusal = notMigratable(vmi);
  const migratable = conditions.find((c) => c.type === 'LiveMigratable');
  if (refusal) {
    checks.push(fail('source live-migratable', `LiveMigratable=False (${refusal.reason ?? 'no reason'}): ${refusal.message ?? ''}`.trim(), 'KubeVirt refuses the sendTo migration until the VMI is live-migratable; remove what the condition names'));
  } else checks.push(pass('source live-migratable', migratable ? `LiveMigratable=${migratable.status}${migratable.reason ? ` (${migratable.reason})` : ''}` : 'no LiveMigratable condition against it'));
  const storage = conditions.find((c) => c.type === 'StorageLiveMigratable');
  if (storage?.status === 'False') checks.push(fail('source VM', `StorageLiveMigratable=False: ${storage.message ?? storage.reason ?? ''}`.trim(), 'remove what blocks storage live migration (e.g. shared or hotplugged disks)'));
  else checks.push(pass('source VM', `VMI Running on ${vmi.status?.nodeName ?? 'a node'}`));
  const unfinished = conflictingMigrations((await call(context, `list migrations in ${namespace}`, () => api.listMigrations(namespace))) ?? [], plan.vm);
  checks.push(
    unfinished.length > 0
      ? fail('source migrations', `unfinished migration ${unfinished.map((m) => m.metadata?.name).join(', ')} for this VMI`, 'wait for it to end, or delete it to cancel it')
      : pass('source migrations', 'no unfinished migration for this VMI'),
  );
  return checks;
}

/**
 * The live source VM's run strategy: since v1.7 only an `Always` source is halted when the move completes (virt-
 * controller vm.go, "decentralized migration completed, setting runStrategy to halted"); `running: true` is Always.
 * Any other fails unless `source.allowRunStrategy` accepts what KubeVirt does with it.
 */
function checkRunStrategy(vm: KubeObject, plan: MigrationPlan): Check {
  const spec = vm.spec ?? {};
  const strategy: string = spec.runStrategy ?? (spec.running === true ? 'Always' : spec.running === false ? 'Halted' : 'Halted');
  if (strategy === 'Always') return pass('source run strategy', 'Always: KubeVirt halts the source once the move completes');
  // The same rule as synthesis (lib/rules `sourceNotHaltedRefusal`), on what the cluster holds now.
  const outcome = sourceNotHaltedRefusal(strategy)?.message ?? 'a source that is not running does not migrate live';
  const patch = `kubectl patch vm -n ${plan.source.namespace} ${plan.vm} --type merge -p '{"spec":{"runStrategy":"Always"}}'`;
  return plan.allowRunStrategy
    ? warn('source run strategy', `${strategy} (accepted by source.allowRunStrategy): ${outcome}`, `to have KubeVirt halt it instead: ${patch}`)
    : fail('source run strategy', `${strategy}: ${outcome}`, `${patch}, or set source.allowRunStrategy: true on this migration to accept it`);
}

/**
 * The firmware UUID the manifest gives the receiver against the running guest's (the VMI's, else the VM's): the VM
 * mutator gives a VM created without one a random UUID (vm-mutator.go `setFirmwareDefaultsIfEmpty`), and a receiver
 * with another SMBIOS UUID than the guest breaks licences, cloud-init identity and persistent EFI/TPM state. Nothing
 * to compare when the manifest has none (synth warns about that).
 */
function checkFirmwareUuid(vm: KubeObject, vmi: KubeObject | undefined, plan: MigrationPlan): Check | undefined {
  const wanted = (plan.receiver.template.spec?.domain?.firmware as { uuid?: string } | undefined)?.uuid;
  if (!wanted) return undefined;
  const live: string | undefined = vmi?.spec?.domain?.firmware?.uuid ?? vm.spec?.template?.spec?.domain?.firmware?.uuid;
  if (!live || live === wanted) return pass('firmware UUID', live ? `${wanted}, as the live VM` : `${wanted} (the live VM shows none)`);
  return fail('firmware UUID', `the manifest sets ${wanted}, the live VM runs with ${live}: the receiver would get another SMBIOS UUID`, `run \`kvmigrate pull ${plan.source.namespace}/${plan.vm}\` (it writes the live UUID), or set firmware.uuid: ${live}`);
}

/** Whether `object` is this migration's own receiver (a re-run of preflight during the migration). */
function isOurReceiver(object: KubeObject, plan: MigrationPlan): boolean {
  return object.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY && object.metadata?.labels?.[MIGRATION_LABEL] === plan.name;
}

async function checkDestination(api: ClusterApi, context: CallContext, plan: MigrationPlan, kubevirt: KubeObject | undefined): Promise<Check[]> {
  const { namespace } = plan.destination;
  const checks: Check[] = [];
  const ns = await call(context, `read Namespace ${namespace}`, () => api.getNamespace(namespace));
  if (!ns) return [fail('destination namespace', `namespace ${namespace} does not exist on ${api.server}`, `kubectl create namespace ${namespace}`)];
  checks.push(pass('destination namespace', `${namespace} exists`));
  const existing = await call(context, `read VirtualMachine ${namespace}/${plan.vm}`, () => api.getVirtualMachine(namespace, plan.vm));
  if (existing && !isOurReceiver(existing, plan)) checks.push(fail('destination VM name', `another VirtualMachine ${namespace}/${plan.vm} exists there`, 'remove it, or migrate to another namespace'));
  else checks.push(pass('destination VM name', existing ? 'the VM there is this migration\'s receiver' : `no VirtualMachine ${plan.vm} there`));

  // The create admitter's `ensureNoMigrationConflict`: one unfinished migration per VMI, so a leftover blocks a retry.
  const receives = conflictingMigrations((await call(context, `list migrations in ${namespace}`, () => api.listMigrations(namespace))) ?? [], plan.vm).filter(
    (m) => m.spec?.receive && m.spec.receive.migrationID !== plan.migrationID,
  );
  checks.push(
    receives.length > 0
      ? fail('destination migrations', `unfinished receive migration ${receives.map((m) => m.metadata?.name).join(', ')} for VMI ${plan.vm} in ${namespace}`, `delete it (kubectl delete vmim ${receives[0]!.metadata?.name} -n ${namespace}) before this attempt`)
      : pass('destination migrations', 'no other unfinished receive migration for this VMI'),
  );
  checks.push(...(await checkStorage(api, context, plan, kubevirt)));

  const missing: string[] = [];
  for (const p of plan.prerequisites) {
    const read = {
      Secret: () => api.getSecret(p.namespace, p.name),
      ConfigMap: () => api.getConfigMap(p.namespace, p.name),
      ServiceAccount: () => api.getServiceAccount(p.namespace, p.name),
      NetworkAttachmentDefinition: () => api.getNetworkAttachmentDefinition(p.namespace, p.name),
    }[p.kind];
    if (!(await call(context, `read ${p.kind} ${p.namespace}/${p.name}`, read))) missing.push(`${p.kind} ${p.namespace}/${p.name} (${p.usedBy})`);
  }
  checks.push(
    missing.length > 0
      ? fail('referenced objects', `missing at the destination: ${missing.join('; ')}`, 'copy them to the destination before migrating')
      : pass('referenced objects', plan.prerequisites.length > 0 ? `all ${plan.prerequisites.length} present` : 'the VM references none'),
  );
  return checks;
}

interface ClaimPropertySet {
  readonly accessModes?: readonly string[];
  readonly volumeMode?: string;
}

/** Whether a StorageProfile's claim property set offers every access mode and the volume mode a disk asks for. */
function offers(set: ClaimPropertySet, disk: DiskPlan): boolean {
  return (disk.volumeMode === undefined || set.volumeMode === disk.volumeMode) && (disk.accessModes ?? []).every((mode) => set.accessModes?.includes(mode));
}

/**
 * The destination's storage for each disk: the class exists; with the populator annotation, the class has a CSI
 * driver (the annotation overrides CDI's own check, `shouldUseCDIPopulator`, and a populator needs CSI); CDI's
 * StorageProfile supports the modes we emit; and a volume mode change has what KubeVirt needs for it.
 */
async function checkStorage(api: ClusterApi, context: CallContext, plan: MigrationPlan, kubevirt?: KubeObject): Promise<Check[]> {
  const checks: Check[] = [];
  const classes = [...new Set(plan.disks.flatMap((d) => d.storageClassName ?? []))];
  const found = new Map<string, { provisioner?: string }>();
  for (const name of classes) {
    const storageClass = await call(context, `read StorageClass ${name}`, () => api.getStorageClass(name));
    if (storageClass) found.set(name, storageClass);
  }
  const missingClasses = classes.filter((name) => !found.has(name));
  checks.push(
    missingClasses.length > 0
      ? fail('storage classes', `missing at the destination: ${missingClasses.join(', ')}`, 'map them with storageClassMap or destination.storageClass')
      : pass('storage classes', classes.length > 0 ? `${classes.join(', ')} exist` : 'every disk uses the default class'),
  );

  const withoutCsi: string[] = [];
  for (const name of new Set(plan.disks.filter((d) => d.usePopulator).flatMap((d) => d.storageClassName ?? []))) {
    const provisioner = found.get(name)?.provisioner;
    if (provisioner && !(await call(context, `read CSIDriver ${provisioner}`, () => api.getCsiDriver(provisioner)))) withoutCsi.push(`${name} (${provisioner})`);
  }
  if (withoutCsi.length > 0) {
    checks.push(
      warn('volume populator', `no CSIDriver for the provisioner of ${withoutCsi.join(', ')}, but the blank disks ask CDI for a volume populator`, `set storageClasses.<class>.usePopulator: false for ${withoutCsi.map((c) => c.split(' ')[0]).join(', ')}`),
    );
  } else checks.push(pass('volume populator', plan.disks.some((d) => d.usePopulator) ? 'every populator-backed class has a CSI driver' : 'no disk asks for a populator'));

  const unsupported: string[] = [];
  for (const disk of plan.disks) {
    if (!disk.storageClassName || (disk.volumeMode === undefined && disk.accessModes === undefined)) continue;
    const profile = await call(context, `read StorageProfile ${disk.storageClassName}`, () => api.getStorageProfile(disk.storageClassName!));
    const sets = (profile?.status?.claimPropertySets ?? []) as ClaimPropertySet[];
    if (!sets.some((set) => offers(set, disk))) {
      const wanted = [disk.volumeMode, ...(disk.accessModes ?? [])].filter(Boolean).join(' ');
      unsupported.push(`${disk.dataVolumeName} wants ${wanted} of ${disk.storageClassName}, whose StorageProfile offers ${sets.map((p) => [p.volumeMode, ...(p.accessModes ?? [])].join(' ')).join('; ') || 'nothing'}`);
    }
  }
  checks.push(
    unsupported.length > 0
      ? fail('storage modes', unsupported.join('; '), 'override accessModes/volumeMode per disk or in storageClassMap, or fix the StorageProfile\'s claimPropertySets')
      : pass('storage modes', 'every StorageProfile supports the modes the disks ask for'),
  );

  const changed = plan.disks.filter((d) => d.sourceVolumeMode !== undefined && d.volumeMode !== undefined && d.volumeMode !== d.sourceVolumeMode);
  if (changed.length > 0) {
    const version = kubevirt?.status?.observedKubeVirtVersion;
    const rollout = kubevirt?.spec?.configuration?.vmRolloutStrategy;
    const lacking = [
      !atLeast(version, VOLUME_MODE_CHANGE_SINCE) && `KubeVirt ${version ?? '(version unknown)'} is older than v1.8.0, which fixed volume mode changes (kubevirt#16637)`,
      rollout !== 'LiveUpdate' && `spec.configuration.vmRolloutStrategy is ${rollout ?? 'unset'}, and KubeVirt records a receiver's volumes only under LiveUpdate`,
    ].filter(Boolean);
    const what = changed.map((d) => `${d.dataVolumeName} ${d.sourceVolumeMode} -> ${d.volumeMode}`).join(', ');
    checks.push(
      lacking.length > 0
        ? fail('volume mode change', `${what}: ${lacking.join('; ')}`, 'keep the source volume mode, or upgrade the destination KubeVirt and set vmRolloutStrategy: LiveUpdate')
        : pass('volume mode change', `${what}: KubeVirt ${version} with LiveUpdate`),
    );
  }
  return checks;
}

/** Since which KubeVirt version a decentralized migration carries each of these (the destination's version decides). */
const VTPM_SINCE = [1, 7] as const;
const HOTPLUG_SINCE = [1, 7] as const;
const PERSISTENT_STATE_SINCE = [1, 9] as const;

/**
 * What the VM uses against the destination's KubeVirt version: a vTPM and hotplugged volumes need v1.7+; a persistent
 * TPM or EFI (`tpm.HasPersistentDevice`, `backendstorage.HasPersistentEFI`) needs v1.9+ and a class for the VM state
 * PVC, which KubeVirt makes Filesystem and ReadWriteOnce or ReadWriteMany (backend-storage.go `getStorageClass`:
 * `vmStateStorageClass`, else the default virt class, else the default class; `getAccessMode`). Nothing when the VM
 * uses none of them.
 */
async function checkKubeVirtFeatures(api: ClusterApi, context: CallContext, plan: MigrationPlan, kubevirt: KubeObject | undefined): Promise<Check[]> {
  const spec = plan.receiver.template.spec ?? {};
  const tpm = spec.domain?.devices?.tpm as { enabled?: boolean; persistent?: boolean } | undefined;
  const hasTpm = tpm !== undefined && tpm.enabled !== false;
  const persistent = [
    hasTpm && tpm?.persistent === true && 'a persistent TPM',
    (spec.domain?.firmware as { bootloader?: { efi?: { persistent?: boolean } } } | undefined)?.bootloader?.efi?.persistent === true && 'a persistent EFI',
  ].filter((x): x is string => Boolean(x));
  const hotplugged = ((spec.volumes ?? []) as { name: string; dataVolume?: { hotpluggable?: boolean }; persistentVolumeClaim?: { hotpluggable?: boolean } }[])
    .filter((v) => v.dataVolume?.hotpluggable || v.persistentVolumeClaim?.hotpluggable)
    .map((v) => v.name);
  const version = kubevirt?.status?.observedKubeVirtVersion as string | undefined;
  const shown = version ?? '(version unknown)';
  const checks: Check[] = [];
  const needs = (what: string, since: readonly [number, number]) =>
    atLeast(version, since)
      ? pass(`KubeVirt for ${what}`, `KubeVirt ${version} at the destination carries ${what}`)
      : fail(`KubeVirt for ${what}`, `the VM uses ${what}, which a decentralized migration carries from KubeVirt v${since.join('.')}; the destination runs ${shown}`, `upgrade the destination's KubeVirt to v${since.join('.')} or later, or remove ${what} from the VM`);
  if (hasTpm) checks.push(needs('a vTPM', VTPM_SINCE));
  if (hotplugged.length > 0) checks.push(needs(`hotplugged volumes (${hotplugged.join(', ')})`, HOTPLUG_SINCE));
  if (persistent.length === 0) return checks;
  const what = persistent.join(' and ');
  checks.push(needs(what, PERSISTENT_STATE_SINCE));
  const configured: string | undefined = kubevirt?.spec?.configuration?.vmStateStorageClass;
  const classes = configured ? [] : ((await call(context, 'list StorageClasses', () => api.listStorageClasses())) ?? []);
  const byAnnotation = (key: string) => classes.find((c) => c.metadata?.annotations?.[key] === 'true')?.metadata?.name;
  const name = configured ?? byAnnotation('storageclass.kubevirt.io/is-default-virt-class') ?? byAnnotation('storageclass.kubernetes.io/is-default-class');
  const check = 'VM state storage class';
  if (!name) return [...checks, fail(check, `${what} needs a PVC for the VM state, and the destination has no vmStateStorageClass and no default class`, 'set spec.configuration.vmStateStorageClass in the destination KubeVirt CR to a Filesystem class')];
  if (configured && !(await call(context, `read StorageClass ${name}`, () => api.getStorageClass(name)))) {
    return [...checks, fail(check, `vmStateStorageClass ${name} does not exist at the destination`, 'create it, or point vmStateStorageClass at a Filesystem class')];
  }
  const profile = await call(context, `read StorageProfile ${name}`, () => api.getStorageProfile(name));
  const sets = (profile?.status?.claimPropertySets ?? []) as ClaimPropertySet[];
  const filesystem = sets.some((set) => set.volumeMode === 'Filesystem' && set.accessModes?.some((m) => m === 'ReadWriteOnce' || m === 'ReadWriteMany'));
  checks.push(
    sets.length === 0 || filesystem
      ? pass(check, `${name}${configured ? ' (vmStateStorageClass)' : ' (the default class)'} holds the VM state`)
      : fail(check, `${name} offers no Filesystem ReadWriteOnce or ReadWriteMany claim (its StorageProfile: ${sets.map((p) => [p.volumeMode, ...(p.accessModes ?? [])].join(' ')).join('; ')})`, 'set vmStateStorageClass to a Filesystem class'),
  );
  return checks;
}

/**
 * The filesystem overhead CDI applies at the destination (CDIConfig `status.filesystemOverhead`: per class, else
 * global; CDI's `GetFilesystemOverheadForStorageClass`) against what the disks given headroom were sized for: a larger
 * one leaves the target image smaller than the source disk. Nothing when no disk got headroom (the same class in the
 * same cluster sizes source and target alike).
 */
async function checkFilesystemOverhead(api: ClusterApi, context: CallContext, plan: MigrationPlan): Promise<Check | undefined> {
  const disks = plan.disks.filter((d) => d.filesystemOverhead !== undefined);
  if (disks.length === 0) return undefined;
  let cdi: KubeObject | undefined;
  try {
    cdi = await call(context, 'read CDIConfig config', () => api.getCdiConfig());
  } catch {
    return warn('filesystem overhead', 'could not read CDIConfig config at the destination', 'check that CDI is installed there');
  }
  if (!cdi) return warn('filesystem overhead', 'no CDIConfig config at the destination', 'install CDI there: it creates the blank disks');
  const overhead = cdi.status?.filesystemOverhead ?? {};
  const over = disks.flatMap((disk) => {
    const assumed = Number(disk.filesystemOverhead);
    const applied = Number(overhead.storageClass?.[disk.storageClassName ?? ''] ?? overhead.global ?? DEFAULT_FILESYSTEM_OVERHEAD);
    return applied > assumed ? [{ disk, applied, assumed }] : [];
  });
  if (over.length === 0) return pass('filesystem overhead', `CDI's overhead at the destination is within what the Filesystem disks were sized for`);
  return warn(
    'filesystem overhead',
    over.map(({ disk, applied, assumed }) => `${disk.dataVolumeName}: CDI takes ${applied} of class ${disk.storageClassName ?? '(default)'}, the disk was sized for ${assumed}`).join('; '),
    `set storageClasses.<class>.filesystemOverhead to CDI's value (${[...new Set(over.map((o) => `${o.disk.storageClassName}: ${o.applied}`))].join(', ')}) and synthesize again`,
  );
}

/**
 * The instancetype and preference the receiver names: cluster-scoped ones must exist at the destination with the
 * source's spec (the receiver's resources come from them); namespaced ones kvmigrate does not copy must exist there.
 */
async function checkInstancetypes(clusters: PreflightClusters, context: CallContext, plan: MigrationPlan): Promise<Check | undefined> {
  const needed = plan.instancetypes.filter((i) => !i.copy);
  if (needed.length === 0) return plan.instancetypes.length > 0 ? pass('instancetypes', 'copied to the destination namespace by this migration') : undefined;
  const problems: string[] = [];
  for (const it of needed) {
    const namespace = it.namespaced ? plan.destination.namespace : undefined;
    const shown = `${it.kind} ${namespace ? `${namespace}/` : ''}${it.name}`;
    const there = await call(context, `read ${shown}`, () => clusters.destination.getInstancetype(it.kind, it.name, namespace));
    if (!there) {
      problems.push(`${shown} is missing at the destination`);
      continue;
    }
    if (it.namespaced) continue;
    const here = await call(context, `read ${shown} at the source`, () => clusters.source.getInstancetype(it.kind, it.name));
    if (here && JSON.stringify(canonical(here.spec)) !== JSON.stringify(canonical(there.spec))) problems.push(`${shown} differs between the clusters`);
  }
  return problems.length > 0
    ? fail('instancetypes', problems.join('; '), 'create them at the destination with the source\'s spec (`kubectl get <kind> <name> -o yaml` from the source)')
    : pass('instancetypes', `${needed.map((i) => `${i.kind} ${i.name}`).join(', ')} present${needed.some((i) => !i.namespaced) ? ', same spec at both ends' : ''}`);
}

/** `value` with object keys sorted, for comparing specs read from two clusters. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
}

/** Interfaces the receiver would get a new MAC on: the manifest does not pin one. */
async function checkMacsPinned(api: ClusterApi, context: CallContext, plan: MigrationPlan): Promise<Check> {
  const interfaces = plan.receiver.template.spec?.domain?.devices?.interfaces ?? [];
  const unpinned = interfaces.filter((i) => !i.macAddress);
  if (unpinned.length === 0) return pass('MACs pinned', interfaces.length > 0 ? 'every interface pins its MAC' : 'the VM has no interfaces');
  const vmi = await call(context, `read VMI ${plan.source.namespace}/${plan.vm}`, () => api.getInstance(plan.source.namespace, plan.vm));
  const live = (vmi?.status?.interfaces ?? []) as { name?: string; mac?: string }[];
  const described = unpinned.map((i) => {
    const mac = live.find((l) => l.name === i.name)?.mac;
    return `${i.name}${mac ? ` (live MAC ${mac})` : ''}`;
  });
  return fail(
    'MACs pinned',
    `interface ${described.join(', ')} has no macAddress in the manifest: the receiver would get a new MAC`,
    `run \`kvmigrate pull ${plan.source.namespace}/${plan.vm}\` (it writes the live MACs), or set macAddress on each interface`,
  );
}

function macAddresses(object: KubeObject): string[] {
  return ((object.spec?.template?.spec?.domain?.devices?.interfaces ?? []) as { macAddress?: string }[]).flatMap((i) => (i.macAddress ? [i.macAddress.toLowerCase()] : []));
}

async function checkMacAddresses(api: ClusterApi, context: CallContext, plan: MigrationPlan): Promise<Check> {
  const wanted = macAddresses({ spec: { template: plan.receiver.template } });
  if (wanted.length === 0) return pass('MAC addresses', 'the VM sets no MAC address');
  const vms = (await call(context, 'list VirtualMachines', () => api.listVirtualMachines())) ?? [];
  const sameCluster = plan.source.cluster === plan.destination.cluster;
  const clashes = vms
    .filter((vm) => !isOurReceiver(vm, plan))
    .flatMap((vm) => macAddresses(vm).filter((mac) => wanted.includes(mac)).map((mac) => ({ vm, mac })))
    .map(({ vm, mac }) => {
      const isSource = sameCluster && vm.metadata?.namespace === plan.source.namespace && vm.metadata?.name === plan.vm;
      return `${mac} on ${isSource ? 'the source VM itself' : `VM ${vm.metadata?.namespace}/${vm.metadata?.name}`}`;
    });
  return clashes.length > 0
    ? warn('MAC addresses', `in use at the destination: ${clashes.join('; ')}`, 'kubemacpool older than v0.51 rejects duplicate MACs ("failed to allocate requested mac address"): upgrade it or exclude the namespaces')
    : pass('MAC addresses', `${wanted.join(', ')} unused at the destination`);
}

async function checkNodes(api: ClusterApi, context: CallContext): Promise<Check> {
  const nodes = (await call(context, 'list Nodes', () => api.listNodes())) ?? [];
  const schedulable = nodes.filter((n) => !n.spec?.unschedulable && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  return schedulable.length >= 2
    ? pass('nodes', `${schedulable.length} schedulable nodes`)
    : fail('nodes', `${schedulable.length} schedulable node(s): the target pod must land on another node than the source`, 'a same-cluster move needs two schedulable nodes or more');
}

/** The certificates of a `kubevirt-ca` ConfigMap (key `ca-bundle`), by their base64 body. */
async function caBundle(api: ClusterApi, context: CallContext, namespace: string): Promise<Set<string>> {
  const configMap = await call(context, `read ConfigMap ${namespace}/kubevirt-ca`, () => api.getConfigMap(namespace, 'kubevirt-ca'));
  const pem = configMap?.data?.['ca-bundle'] ?? '';
  return new Set([...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => m[1]!.replace(/\s+/g, '')));
}

async function checkCaExchange(clusters: PreflightClusters, context: CallContext, namespaces: { source: string; destination: string }): Promise<Check> {
  const source = await caBundle(clusters.source, context, namespaces.source);
  const destination = await caBundle(clusters.destination, context, namespaces.destination);
  // A cluster's bundle holds its own CAs plus the ones merged in: each side must hold all of the other's.
  const trusts = (bundle: Set<string>, other: Set<string>) => other.size > 0 && [...other].every((cert) => bundle.has(cert));
  const problems = [
    !trusts(destination, source) && "the destination's kubevirt-ca lacks the source's CA",
    !trusts(source, destination) && "the source's kubevirt-ca lacks the destination's CA",
  ].filter(Boolean);
  return problems.length > 0
    ? fail('CA bundles', problems.join('; '), "add each cluster's kubevirt-ca bundle to the other's kubevirt-external-ca ConfigMap (virt-operator merges it)")
    : pass('CA bundles', 'each cluster trusts the other\'s KubeVirt CA');
}

async function checkPermissions(api: ClusterApi, context: CallContext, plan: MigrationPlan): Promise<Check> {
  const { namespace } = plan.source;
  const wanted: [string, string, string][] = [['create', 'kubevirt.io', 'virtualmachineinstancemigrations']];
  if (plan.hook) {
    wanted.push(['create', 'batch', 'jobs'], ['create', '', 'serviceaccounts'], ['create', 'rbac.authorization.k8s.io', 'roles'], ['create', 'rbac.authorization.k8s.io', 'rolebindings']);
  }
  const denied: string[] = [];
  for (const [verb, group, resource] of wanted) {
    if (!(await call(context, `review ${verb} ${resource}`, () => api.canI(verb, group, resource, namespace)))) denied.push(`${verb} ${group ? `${resource}.${group}` : resource}`);
  }
  return denied.length > 0
    ? fail('permissions', `in ${namespace} you may not: ${denied.join(', ')}`, 'ask for the kubevirt.io:migrate role and the right to create the hook\'s Job, ServiceAccount, Role and RoleBinding there')
    : pass('permissions', `may create the migration${plan.hook ? ' and the hook\'s objects' : ''} in ${namespace}`);
}

/** Every preflight check of one migration, in a stable order. */
export async function preflightMigration(plan: MigrationPlan, clusters: PreflightClusters, context: CallContext): Promise<Check[]> {
  // Found where it is, then compared with where the hook will look for it.
  const source = await checkKubeVirt(clusters.source, context, 'source', undefined);
  const destination = plan.source.cluster === plan.destination.cluster ? undefined : await checkKubeVirt(clusters.destination, context, 'destination', undefined);
  const checks = [...source.checks, ...(destination?.checks ?? [])];
  const atDestination = destination ?? source;
  if (plan.hook?.leaseFallback && atDestination.namespace) {
    const configured = plan.hook.kubevirtNamespace ?? DEFAULT_KUBEVIRT_NAMESPACE;
    checks.push(
      configured === atDestination.namespace
        ? pass('KubeVirt namespace', `the hook looks in ${configured}, where KubeVirt is`)
        : fail(
            'KubeVirt namespace',
            `KubeVirt is in ${atDestination.namespace} at the destination, but the hook's Roles and lookups use ${configured}`,
            `set hook.kubevirtNamespace: ${atDestination.namespace} (in the migration or at the top level) and synthesize again`,
          ),
    );
  }
  if (destination) {
    const [a, b] = [minorVersion(source.version), minorVersion(destination.version)];
    if (a && b && (a[0] !== b[0] || a[1] !== b[1])) checks.push(warn('KubeVirt versions', `source ${source.version}, destination ${destination.version}`, 'migrate between the same minor versions'));
    else checks.push(pass('KubeVirt versions', `${source.version ?? 'unknown'} at both ends`));
  }
  checks.push(...(await checkSourceVm(clusters.source, context, plan)));
  checks.push(...(await checkDestination(clusters.destination, context, plan, atDestination.kubevirt)));
  checks.push(...(await checkKubeVirtFeatures(clusters.destination, context, plan, atDestination.kubevirt)));
  const overhead = await checkFilesystemOverhead(clusters.destination, context, plan);
  if (overhead) checks.push(overhead);
  const instancetypes = await checkInstancetypes(clusters, context, plan);
  if (instancetypes) checks.push(instancetypes);
  checks.push(await checkMacsPinned(clusters.source, context, plan));
  checks.push(await checkMacAddresses(clusters.destination, context, plan));
  if (destination) {
    const fallback = plan.hook?.kubevirtNamespace ?? DEFAULT_KUBEVIRT_NAMESPACE;
    checks.push(await checkCaExchange(clusters, context, { source: source.namespace ?? fallback, destination: destination.namespace ?? fallback }));
  } else checks.push(await checkNodes(clusters.source, context));
  checks.push(await checkPermissions(clusters.source, context, plan));
  return checks;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** How long a hook's migration waits queued: a range with a bandwidth, else at most. */
function waited(hook: HookDeadline): string {
  const least = hook.queuedLeastSeconds === undefined ? undefined : duration(hook.queuedLeastSeconds);
  const most = hook.queuedMostSeconds === undefined ? 'without bound' : `up to ${duration(hook.queuedMostSeconds)}`;
  if (least === undefined) return most;
  return hook.queuedLeastSeconds === hook.queuedMostSeconds ? least : `at least ${least} and ${most}`;
}

/** The check of one batch's queue at its destination cluster. */
function queueCheck(queue: BatchQueue): Check {
  const { limits } = queue;
  const check = `queue: ${queue.cluster}, batch ${queue.batch}`;
  const pace =
    queue.limit === 'parallelOutboundMigrationsPerNode'
      ? `${queue.atATime} at a time (parallelOutboundMigrationsPerNode ${limits.parallelOutboundMigrationsPerNode}: receivers have no node yet and count against one another)`
      : `${queue.atATime} at a time (parallelMigrationsPerCluster ${limits.parallelMigrationsPerCluster})`;
  const now = queue.behindRunning ? `, behind the ${plural(queue.runningNow, 'migration')} running now` : '';
  const most =
    queue.mostSeconds === undefined
      ? 'no bound: completionTimeoutPerGiB is 0, so KubeVirt never aborts a slow migration'
      : `at most ${duration(queue.mostSeconds)} before KubeVirt's completion timeouts (completionTimeoutPerGiB ${limits.completionTimeoutPerGiB} s) abort one`;
  const time =
    queue.leastSeconds === undefined
      ? `bandwidthPerMigration is unlimited, so how long each round takes depends on the network; ${most}`
      : `at least ${duration(queue.leastSeconds)} at bandwidthPerMigration ${limits.bandwidthText} (memory and disks over the bandwidth), ${most}`;
  const detail = `${plural(queue.migrations, 'migration')} in, ${pace}: ${plural(queue.rounds, 'round')}${now}; ${time}`;
  if (queue.hookDeadlines.length === 0) return pass(check, detail);
  const shown = queue.hookDeadlines.slice(0, 3).map((h) => h.migration).join(', ') + (queue.hookDeadlines.length > 3 ? `, and ${queue.hookDeadlines.length - 3} more` : '');
  const longest = queue.hookDeadlines.at(-1)!;
  const certain = longest.queuedLeastSeconds !== undefined && longest.queuedLeastSeconds >= longest.migrationTimeoutSeconds;
  return warn(
    check,
    `${detail}. ${plural(queue.hookDeadlines.length, 'hook')} following ${queue.hookDeadlines.length === 1 ? 'its migration' : 'their migrations'} (hook.wait) ${certain ? 'will' : 'can'} time out still queued: ${shown} ` +
      `wait ${waited(longest)} before their round, past hook.migrationTimeoutSeconds ${longest.migrationTimeoutSeconds} s`,
    `raise hook.migrationTimeoutSeconds${longest.queuedMostSeconds === undefined ? '' : ` to ${longest.queuedMostSeconds + longest.migrationTimeoutSeconds} or more`}, use smaller batches (fleet.batchSize), or raise ${queue.limit} in the KubeVirt CR's spec.configuration.migrations`,
  );
}

/**
 * How each batch of the fleet queues at destination `cluster` behind KubeVirt's migration limits, read live: the
 * KubeVirt CR's limits and the migrations running now (the reader `kvmigrate status` uses for Queued).
 */
export async function preflightQueue(api: ClusterApi, context: CallContext, cluster: string, plans: readonly MigrationPlan[]): Promise<{ checks: Check[]; queues: BatchQueue[] }> {
  const kubevirtNamespace = plans.find((p) => p.destination.cluster === cluster && p.hook?.kubevirtNamespace)?.hook?.kubevirtNamespace;
  const live = await readClusterMigrations(api, context, kubevirtNamespace);
  if (!live) {
    const check = `queue: ${cluster}`;
    return {
      checks: [warn(check, `may not list migrations and VMIs in every namespace on ${api.server}: how the fleet queues is not estimated`, 'run preflight with credentials that may list virtualmachineinstancemigrations and virtualmachineinstances cluster-wide')],
      queues: [],
    };
  }
  const queues = batchQueues(cluster, plans, live);
  return { checks: queues.map(queueCheck), queues };
}
