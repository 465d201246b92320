// The health of the KubeVirt and CDI kinds kvmigrate creates, written once as data. It is rendered to Argo CD Lua
// health scripts (lib/health/lua.ts) and to Flux `healthCheckExprs` (lib/health/cel.ts); the fixtures in
// lib/argocd/health/<group>/<Kind>/testdata hold both renderings to the same answers.

/** A field of the live object as its keys from the root, e.g. `['status', 'phase']`. */
export type FieldPath = readonly string[];

/** A `status.conditions` entry: the first with this type (and, when given, this status and reason). */
export interface ConditionMatch {
  readonly type: string;
  readonly status?: string;
  readonly reason?: string;
}

/** What a rule asks of the live object. A missing field never matches `equals` or `oneOf`. */
export type Predicate =
  | { readonly present: FieldPath }
  | { readonly equals: FieldPath; readonly value: string | boolean }
  | { readonly oneOf: FieldPath; readonly values: readonly string[] }
  | { readonly condition: ConditionMatch }
  | { readonly all: readonly Predicate[] }
  | { readonly any: readonly Predicate[] }
  | { readonly not: Predicate };

/** A piece of a health message: text, a field, a field of a condition, or the first of several that is set. */
export type MessagePart =
  | string
  | { readonly field: FieldPath }
  | { readonly conditionField: string; readonly of: ConditionMatch }
  | { readonly firstOf: readonly MessagePart[] };

/** Argo CD's health statuses that these checks give. */
export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

export interface HealthRule {
  /** When the rule applies; a rule without `when` always does (the last rule of a kind). */
  readonly when?: Predicate;
  readonly status: HealthStatus;
  /** The message, its parts joined; without one the status has no message. */
  readonly message?: readonly MessagePart[];
}

/** The health of one kind: its rules in order, the first that applies decides. */
export interface KindHealth {
  readonly group: string;
  /** The version kvmigrate's objects use; Flux matches a `healthCheckExprs` entry by group and kind only. */
  readonly version: string;
  readonly kind: string;
  /** Why this differs from Argo CD's bundled check; a comment at the top of the Lua script. */
  readonly about: readonly string[];
  readonly rules: readonly HealthRule[];
}

const STATUS = ['status'];
const PHASE = ['status', 'phase'];
const PRINTABLE = ['status', 'printableStatus'];
const CREATED = ['status', 'created'];
const RUN_STRATEGY = ['spec', 'runStrategy'];
const NO_STATUS: HealthRule = { when: { not: { present: STATUS } }, status: 'Progressing', message: ['No status available'] };
const phaseIs = (...values: string[]): Predicate => (values.length === 1 ? { equals: PHASE, value: values[0]! } : { oneOf: PHASE, values });
const not = (predicate: Predicate): Predicate => ({ not: predicate });

const DATA_VOLUME: KindHealth = {
  group: 'cdi.kubevirt.io',
  version: 'v1beta1',
  kind: 'DataVolume',
  about: [
    "Argo CD's bundled behaviour, except that a blank DataVolume waiting for its consumer is Healthy: only a",
    "migration's target pod consumes it, and that pod exists only once the migration runs, so a wave waiting for it",
    'would wait forever. KubeVirt treats these phases as ready too. An error is Degraded in every phase.',
  ],
  rules: [
    NO_STATUS,
    { when: { condition: { type: 'Running', status: 'False', reason: 'Error' } }, status: 'Degraded', message: [{ conditionField: 'message', of: { type: 'Running', status: 'False', reason: 'Error' } }] },
    {
      when: { all: [{ present: ['spec', 'source', 'blank'] }, phaseIs('PendingPopulation', 'WaitForFirstConsumer')] },
      status: 'Healthy',
      message: [{ field: PHASE }, ": waits for the migration's target pod"],
    },
    { when: not({ present: PHASE }), status: 'Progressing', message: ['No status available'] },
    { when: phaseIs('Succeeded'), status: 'Healthy', message: [{ field: PHASE }] },
    { when: phaseIs('Paused'), status: 'Suspended', message: [{ field: PHASE }] },
    { when: phaseIs('Failed', 'Unknown'), status: 'Degraded', message: [{ field: PHASE }] },
    { status: 'Progressing', message: [{ field: PHASE }] },
  ],
};

/** A receiver is ready for the next step only in these states (listed, so an unforeseen one is never Healthy). */
const RECEIVER_READY = ['WaitingForReceiver', 'Migrating', 'Running'];
/** States in which receiving has failed and will not recover by itself. */
const RECEIVER_ERRORS = ['ErrorUnschedulable', 'ErrorPvcNotFound', 'DataVolumeError', 'CrashLoopBackOff'];
const RECEIVER: Predicate = { equals: RUN_STRATEGY, value: 'WaitAsReceiver' };
const receiver = (when: Predicate): Predicate => ({ all: [RECEIVER, when] });
const READY = { type: 'Ready' };
const READY_TRUE = { type: 'Ready', status: 'True' };
const FAILURE = { type: 'Failure', status: 'True' };
const PAUSED: Predicate = { condition: { type: 'Paused', status: 'True' } };

const VIRTUAL_MACHINE: KindHealth = {
  group: 'kubevirt.io',
  version: 'v1',
  kind: 'VirtualMachine',
  about: [
    "Argo CD's bundled behaviour for every VM, except:",
    ' * a receiver (runStrategy WaitAsReceiver) is Progressing until KubeVirt creates its instance, Healthy once parked',
    '   (WaitingForReceiver) or migrating, and Degraded when receiving failed (the bundled check says Progressing',
    '   forever, and the PostSync hook would never run); the states that are ready are listed, so no other is Healthy;',
    ' * a stopped, Halted VM that kvmigrate manages (label app.kubernetes.io/managed-by: kvmigrate) is Healthy: it is',
    '   where KubeVirt leaves a migrated source VM; every other stopped VM keeps the bundled Suspended.',
  ],
  rules: [
    { when: receiver({ condition: FAILURE }), status: 'Degraded', message: ['receiving failed: ', { firstOf: [{ conditionField: 'message', of: FAILURE }, { conditionField: 'reason', of: FAILURE }, 'Failure'] }] },
    { when: receiver(PAUSED), status: 'Suspended', message: ['Paused'] },
    { when: receiver({ oneOf: PRINTABLE, values: RECEIVER_ERRORS }), status: 'Degraded', message: ['receiving failed: ', { field: PRINTABLE }] },
    {
      when: receiver({ all: [{ equals: PRINTABLE, value: 'Stopped' }, { equals: CREATED, value: true }] }),
      status: 'Degraded',
      message: ['receiving failed: the receiver instance stopped'],
    },
    { when: receiver({ equals: PRINTABLE, value: 'Unknown' }), status: 'Unknown', message: ["the receiver's state is Unknown"] },
    { when: receiver(not({ equals: CREATED, value: true })), status: 'Progressing', message: ['waiting for KubeVirt to create the receiver instance'] },
    { when: receiver({ oneOf: PRINTABLE, values: RECEIVER_READY }), status: 'Healthy', message: [{ field: PRINTABLE }, ': ready to receive'] },
    { when: RECEIVER, status: 'Progressing', message: [{ firstOf: [{ field: PRINTABLE }, 'no printableStatus'] }, ': not ready to receive yet'] },
    // Every other VM: Argo CD's bundled rules, and the Halted source VM.
    NO_STATUS,
    { when: PAUSED, status: 'Suspended', message: ['Paused'] },
    { when: { condition: READY_TRUE }, status: 'Healthy', message: [{ firstOf: [{ field: PRINTABLE }, 'Running'] }] },
    { when: { all: [{ condition: READY }, { equals: CREATED, value: true }] }, status: 'Progressing', message: [{ firstOf: [{ field: PRINTABLE }, 'Starting'] }] },
    {
      when: { all: [{ condition: READY }, { equals: ['metadata', 'labels', 'app.kubernetes.io/managed-by'], value: 'kvmigrate' }, { equals: RUN_STRATEGY, value: 'Halted' }] },
      status: 'Healthy',
      message: ['Stopped (runStrategy: Halted)'],
    },
    { when: { condition: READY }, status: 'Suspended', message: [{ firstOf: [{ field: PRINTABLE }, 'Stopped'] }] },
    { status: 'Progressing', message: [{ firstOf: [{ field: PRINTABLE }, 'No status available'] }] },
  ],
};

const VIRTUAL_MACHINE_INSTANCE: KindHealth = {
  group: 'kubevirt.io',
  version: 'v1',
  kind: 'VirtualMachineInstance',
  about: ["Argo CD's bundled behaviour, except that a receiver's instance parked in WaitingForSync is Healthy (the", 'bundled check calls it Degraded).'],
  rules: [
    NO_STATUS,
    { when: phaseIs('WaitingForSync'), status: 'Healthy', message: ['WaitingForSync: ready to receive a migration'] },
    { when: phaseIs('Failed'), status: 'Degraded', message: [{ field: PHASE }] },
    { when: phaseIs('Pending', 'Scheduling', 'Scheduled'), status: 'Progressing', message: [{ field: PHASE }] },
    { when: phaseIs('Succeeded'), status: 'Suspended', message: [{ field: PHASE }] },
    { when: phaseIs('Unknown'), status: 'Unknown', message: [{ field: PHASE }] },
    { when: PAUSED, status: 'Suspended', message: [{ conditionField: 'message', of: { type: 'Paused', status: 'True' } }] },
    { when: { condition: READY_TRUE }, status: 'Healthy', message: ['Running'] },
    { when: { condition: READY }, status: 'Degraded', message: [{ conditionField: 'message', of: READY }] },
    { status: 'Progressing', message: [{ firstOf: [{ field: PHASE }, 'No status available'] }] },
  ],
};

const VIRTUAL_MACHINE_INSTANCE_MIGRATION: KindHealth = {
  group: 'kubevirt.io',
  version: 'v1',
  kind: 'VirtualMachineInstanceMigration',
  about: [
    'Argo CD bundles none, so a migration would never gate a wave and a failed one would never turn the application',
    'red. A decentralized migration waiting for its other half (receive: WaitingForSync, sendTo: Synchronizing) is',
    "Healthy, so the sync can go on to create that other half; Succeeded is Healthy, Failed is Degraded with KubeVirt's",
    'reason, anything else Progressing.',
  ],
  rules: [
    { when: { any: [not({ present: PHASE }), phaseIs('')] }, status: 'Progressing', message: ['No status available'] },
    { when: phaseIs('Succeeded'), status: 'Healthy', message: ['Succeeded'] },
    { when: phaseIs('Failed'), status: 'Degraded', message: ['Failed: ', { firstOf: [{ field: ['status', 'migrationState', 'failureReason'] }, 'no reason reported'] }] },
    { when: { all: [{ present: ['spec', 'receive'] }, phaseIs('WaitingForSync')] }, status: 'Healthy', message: ['WaitingForSync: waiting for the sending side'] },
    { when: { all: [{ present: ['spec', 'sendTo'] }, phaseIs('Synchronizing')] }, status: 'Healthy', message: ['Synchronizing: connecting to the receiving side'] },
    { status: 'Progressing', message: [{ field: PHASE }] },
  ],
};

/** The four kinds, in the order Argo CD's config and Flux's Kustomization list them. */
export const HEALTH_RULES: readonly KindHealth[] = [DATA_VOLUME, VIRTUAL_MACHINE, VIRTUAL_MACHINE_INSTANCE, VIRTUAL_MACHINE_INSTANCE_MIGRATION];

const APP_HEALTH = ['status', 'health', 'status'];
/** The child's own message, else its health status's name. */
const APP_MESSAGE: readonly MessagePart[] = [{ firstOf: [{ field: ['status', 'health', 'message'] }, { field: APP_HEALTH }] }];
const appHealthIs = (status: HealthStatus): HealthRule => ({ when: { equals: APP_HEALTH, value: status }, status, message: APP_MESSAGE });

/**
 * An Argo CD Application as a resource of a parent Application (app of apps): the health Argo CD computed for the
 * child. Argo CD has had no health check for it since 1.8 (gitops-engine#153 dropped it from `pkg/health`, for
 * argo-cd#3781), so a parent's sync waves of Applications would not wait for each other; the check argo-cd's
 * docs/operator-manual/health.md ("Argo CD App") gives restores it, and these rules give its answers. Only Argo CD
 * needs it (Flux's lanes order by `dependsOn`): it is not among {@link HEALTH_RULES}.
 */
export const APPLICATION_HEALTH: KindHealth = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  kind: 'Application',
  about: [
    "The health Argo CD computed for the child Application (status.health), as argo-cd's docs restore it since 1.8",
    'dropped it: Progressing until it has one, so a parent syncing kvmigrate\'s batches as sync waves moves to the',
    "next batch only once every Application of this one is Healthy, and stops on a Degraded one.",
  ],
  rules: [
    { when: not({ present: APP_HEALTH }), status: 'Progressing', message: ['no health assessed yet'] },
    appHealthIs('Healthy'),
    appHealthIs('Degraded'),
    appHealthIs('Suspended'),
    appHealthIs('Missing'),
    appHealthIs('Unknown'),
    { status: 'Progressing', message: APP_MESSAGE },
  ],
};
