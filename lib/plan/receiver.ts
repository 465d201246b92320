import type { MigrationEntry } from '../config/load-config.ts';
import type { DiagnosticBag } from '../diagnostics.ts';
import { isRunStrategy, type InstancetypeMatcher, type RunStrategy, type VirtualMachineInstanceTemplate } from '../kubevirt/api.ts';
import { ownMetadata } from './metadata.ts';

/** The receiving VirtualMachine: the source's identity and template, parked until the migration arrives. */
export interface ReceiverPlan {
  /** What KubeVirt sets `spec.runStrategy` to once the VM has arrived: the source's run strategy. */
  readonly restoreRunStrategy: RunStrategy;
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
function restoreRunStrategy(entry: MigrationEntry, bag: DiagnosticBag): RunStrategy | undefined {
  const { object, locate } = entry.source.virtualMachine;
  const spec = object.spec ?? {};
  const hint = 'only a running VM can be live-migrated; start it and set `runStrategy: Always` (or RerunOnFailure/Manual/Once)';
  if (spec.runStrategy !== undefined && spec.running !== undefined) {
    bag.error('the source VM sets both spec.running and spec.runStrategy, which KubeVirt rejects', locate(['spec', 'running'], { key: true }));
    return undefined;
  }
  if (spec.running !== undefined) {
    if (spec.running === true) return 'Always';
    bag.error('the source VM is not running (spec.running: false)', locate(['spec', 'running']), hint);
    return undefined;
  }
  const strategy = spec.runStrategy;
  if (strategy === undefined) {
    bag.error('the source VM has no spec.runStrategy', locate(['spec']), hint);
    return undefined;
  }
  if (!isRunStrategy(strategy)) {
    bag.error(`the source VM's runStrategy "${strategy}" is not one of KubeVirt's`, locate(['spec', 'runStrategy']), 'use Always, RerunOnFailure, Manual or Once');
    return undefined;
  }
  if (strategy === 'Halted') {
    bag.error('the source VM is not running (runStrategy: Halted)', locate(['spec', 'runStrategy']), hint);
    return undefined;
  }
  if (strategy === 'WaitAsReceiver') {
    bag.error('the source VM is itself a receiver (runStrategy: WaitAsReceiver)', locate(['spec', 'runStrategy']));
    return undefined;
  }
  return strategy;
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
  // kubectl dumps write `creationTimestamp: null` into the template; it carries nothing.
  const { creationTimestamp: _dropped, ...templateMetadata } = source.metadata ?? {};
  const template = source.metadata ? { ...source, metadata: templateMetadata } : source;
  return {
    restoreRunStrategy: restore,
    template,
    instancetype: withoutRevision(object.spec?.instancetype),
    preference: withoutRevision(object.spec?.preference),
    ...ownMetadata(object.metadata),
  };
}
