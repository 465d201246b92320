import type { MigrationEntry } from '../config/load-config.ts';
import type { DiagnosticBag } from '../diagnostics.ts';
import type { InstancetypeMatcher, RunStrategy, VirtualMachineInstanceTemplate } from '../kubevirt/api.ts';
import { isRestoreRunStrategy, runStrategyRefusal, sourceNotHaltedRefusal, type RestoreRunStrategy } from '../rules/migration.ts';
import { carriedTemplateMetadata, ownMetadata } from './metadata.ts';

/** The receiving VirtualMachine: the source's identity and template, parked until the migration arrives. */
export interface ReceiverPlan {
  /** What KubeVirt sets `spec.runStrategy` to once the VM has arrived: the source's run strategy. */
  readonly restoreRunStrategy: RestoreRunStrategy;
  /** The source's `spec.template`, unchanged (MACs, firmware, machine type, CPU, memory, volumes). */
  readonly template: VirtualMachineInstanceTemplate;
  readonly instancetype?: InstancetypeMatcher;
  readonly preference?: InstancetypeMatcher;
  /** The source's labels and annotations without the ones controllers own. */
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

function withoutRevision(matcher: InstancetypeMatcher | undefined): InstancetypeMatcher | undefined {
  if (!matcher) return undefined;
  // revisionName names a ControllerRevision of the source cluster; the destination makes its own.
  const { revisionName: _dropped, ...rest } = matcher;
  return rest;
}

/** The run strategy the receiver returns to after the migration; reports why when the source cannot be moved live. */
function restoreRunStrategy(entry: MigrationEntry, bag: DiagnosticBag): RestoreRunStrategy | undefined {
  const { object, locate } = entry.source.virtualMachine;
  const spec = object.spec ?? {};
  const hint = 'only a running VM can be live-migrated; start it with `runStrategy: Always`';
  if (spec.runStrategy !== undefined && spec.running !== undefined) {
    bag.error('the source VM sets both spec.running and spec.runStrategy, which KubeVirt rejects', locate(['spec', 'running'], { key: true }));
    return undefined;
  }
  if (spec.running === false) {
    bag.error('the source VM is not running (spec.running: false)', locate(['spec', 'running']), hint);
    return undefined;
  }
  if (spec.running === true) {
    // A managed source is emitted with `runStrategy: Always` instead (see plan.ts), which converts the live VM.
    if (entry.source.manage) return 'Always';
    bag.error(
      'the source VM uses the deprecated spec.running: true. After the migration KubeVirt halts the source by setting ' +
        'spec.runStrategy: Halted (`syncRunStrategy` in virt-controller vm.go), which the VM admitter rejects while spec.running ' +
        'is set ("Running and RunStrategy are mutually exclusive", `validateRunStrategy` in vms-admitter.go): the source would never ' +
        'halt and would boot again from its stale disks',
      locate(['spec', 'running']),
      `convert the live VM first, then use runStrategy: Always in ${entry.source.manifest.file}: ` +
        `kubectl patch vm ${entry.vm} -n ${entry.source.namespace} --type=json -p '[{"op":"remove","path":"/spec/running"},{"op":"add","path":"/spec/runStrategy","value":"Always"}]'`,
    );
    return undefined;
  }
  const strategy = spec.runStrategy;
  if (strategy === undefined) {
    bag.error('the source VM has no spec.runStrategy', locate(['spec']), hint);
    return undefined;
  }
  if (!isRestoreRunStrategy(strategy)) {
    const refusal = runStrategyRefusal(strategy)!;
    bag.error(`the source VM's spec.runStrategy ${refusal.message}`, locate(['spec', 'runStrategy']), refusal.hint);
    return undefined;
  }
  return strategy;
}

/**
 * A source that is not `Always` is never halted by KubeVirt (lib/rules `sourceNotHaltedRefusal`). Refused with the
 * patch that makes it Always; a managed source is emitted converted (see plan.ts); `source.allowRunStrategy` accepts
 * upstream's behaviour, with a warning that says it.
 */
function checkSourceRunStrategy(entry: MigrationEntry, strategy: RunStrategy, bag: DiagnosticBag): void {
  const refusal = sourceNotHaltedRefusal(strategy);
  if (entry.phase !== 'migrate' || refusal === undefined || (entry.source.manage && !entry.source.allowRunStrategy)) return;
  const { locate } = entry.source.virtualMachine;
  const what = refusal.message;
  const patch = `kubectl patch vm ${entry.vm} -n ${entry.source.namespace} --type=merge -p '{"spec":{"runStrategy":"Always"}}'`;
  if (entry.source.allowRunStrategy) {
    bag.warning(`migration "${entry.name}": ${what} (source.allowRunStrategy accepts it)`, locate(['spec', 'runStrategy']), `to have KubeVirt halt it instead: ${patch}, and runStrategy: Always in ${entry.source.manifest.file}`);
    return;
  }
  bag.error(
    `${what}; KubeVirt halts only an Always source`,
    locate(['spec', 'runStrategy']),
    `make it Always on the cluster (${patch}) and in ${entry.source.manifest.file}, or set \`source.allowRunStrategy: true\` on this migration to accept it`,
  );
}

/**
 * An interface without `macAddress` gets whatever MAC the destination's kubemacpool allocates to the receiver's pod:
 * the guest would see its NIC change under it mid-migration. `kvmigrate pull` writes the live MACs into the manifest.
 */
function warnUnpinnedMacs(entry: MigrationEntry, bag: DiagnosticBag): void {
  const { object, locate } = entry.source.virtualMachine;
  (object.spec?.template?.spec?.domain?.devices?.interfaces ?? []).forEach((nic, index) => {
    if (nic.macAddress) return;
    bag.warning(
      `migration "${entry.name}": interface "${nic.name}" has no macAddress, so the receiver gets a new MAC from the destination`,
      locate(['spec', 'template', 'spec', 'domain', 'devices', 'interfaces', index]),
      `pin the live MAC (\`kvmigrate pull ${entry.source.namespace}/${entry.vm}\` writes it; or \`kubectl get vmi ${entry.vm} -n ${entry.source.namespace} -o jsonpath='{.status.interfaces}'\`); preflight fails until it is pinned`,
    );
  });
}

/**
 * A template without `firmware.uuid` gets a new random one when the receiver is created (KubeVirt's VM mutator,
 * `setFirmwareDefaultsIfEmpty` in vm-mutator.go): the guest would see its SMBIOS UUID change (licences, cloud-init's
 * instance identity, persistent EFI/TPM). The live VM has one, which `kvmigrate pull` writes into the manifest.
 */
function warnMissingFirmwareUuid(entry: MigrationEntry, bag: DiagnosticBag): void {
  const { object, locate } = entry.source.virtualMachine;
  const domain = object.spec?.template?.spec?.domain;
  if (domain?.firmware?.uuid) return;
  bag.warning(
    `migration "${entry.name}": the VM template has no firmware.uuid, so KubeVirt gives the receiver a new random one and the guest sees a different SMBIOS UUID`,
    locate(['spec', 'template', 'spec', 'domain', ...(domain?.firmware ? ['firmware'] : [])]),
    `pin the live UUID (\`kvmigrate pull ${entry.source.namespace}/${entry.vm}\` writes it; or \`kubectl get vm ${entry.vm} -n ${entry.source.namespace} -o jsonpath='{.spec.template.spec.domain.firmware.uuid}'\`)`,
  );
}

/** The receiver of `entry`'s VM; undefined (with the reasons in `bag`) when the VM cannot be moved live. */
export function planReceiver(entry: MigrationEntry, bag: DiagnosticBag): ReceiverPlan | undefined {
  const { object, locate } = entry.source.virtualMachine;
  const restore = restoreRunStrategy(entry, bag);
  const source = object.spec?.template;
  if (!source?.spec) {
    bag.error('the source VM has no spec.template.spec', locate(['spec']));
    return undefined;
  }
  if (restore === undefined) return undefined;
  checkSourceRunStrategy(entry, restore, bag);
  warnUnpinnedMacs(entry, bag);
  warnMissingFirmwareUuid(entry, bag);
  // kubectl dumps write `creationTimestamp: null` into the template; it carries nothing.
  const { creationTimestamp: _dropped, ...templateMetadata } = source.metadata ?? {};
  const template = source.metadata ? { ...source, metadata: carriedTemplateMetadata(templateMetadata) } : source;
  return {
    restoreRunStrategy: restore,
    template,
    instancetype: withoutRevision(object.spec?.instancetype),
    preference: withoutRevision(object.spec?.preference),
    ...ownMetadata(object.metadata),
  };
}
