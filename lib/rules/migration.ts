// The rules a migration must follow, below both faces of kvmigrate: the config (lib/config, lib/plan) and the
// constructs (lib/constructs) ask the same functions, so a value the CLI refuses is refused by the constructs with the
// same words. Each rule returns what is wrong as a phrase that follows the field's name ("is not host:port ..."), or
// undefined; each face puts its own field label (a config path, or a construct path and prop) in front.
// The config's JSON schema (lib/config/schema.json) repeats the closed sets and patterns for editors; a test holds it
// equal to these (test/construct-rules.test.ts).
import { RUN_STRATEGIES, type RunStrategy } from '../kubevirt/api.ts';
import { compareQuantities, parseQuantity } from '../kubernetes/quantity.ts';
import { abbreviate } from '../diagnostics.ts';
import { isDnsLabel, isDnsSubdomain, isHostPort } from '../kubernetes/validation.ts';

/** A PersistentVolume's volume modes (core/v1 `PersistentVolumeMode`). */
export const VOLUME_MODES = ['Block', 'Filesystem'] as const;
export type VolumeMode = (typeof VOLUME_MODES)[number];

/** A claim's access modes (core/v1 `PersistentVolumeAccessMode`). */
export const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

/** The run strategies a live source VM can have, and so the receiver can return to once the VM has arrived. */
export type RestoreRunStrategy = Exclude<RunStrategy, 'Halted' | 'WaitAsReceiver'>;

/**
 * The field of a VirtualMachine that KubeVirt rewrites during a migration (a receiver's WaitAsReceiver becomes the
 * restored strategy, a migrated source is halted): every GitOps engine must neither compare nor write it back.
 */
export const RUN_STRATEGY_POINTER = '/spec/runStrategy';

/** What the migrationID may hold: it becomes a label-like value in both migration objects. */
export const MIGRATION_ID_PATTERN = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
export const MIGRATION_ID_MAX_LENGTH = 253;

/** One rule broken: the phrase that follows the field's name, and what to do, when known. */
export interface Refusal {
  readonly message: string;
  readonly hint?: string;
}

/** A refusal of one field of a migration, named as the face that checked it names the field. */
export interface FieldRefusal extends Refusal {
  readonly field: string;
}

const refuse = (message: string, hint?: string): Refusal => ({ message, hint });

/** Names of VMs and namespaces: apimachinery `IsDNS1123Label` (a VMI's name is its hostname). */
export function dnsLabelRefusal(value: string): Refusal | undefined {
  return isDnsLabel(value) ? undefined : refuse(`"${abbreviate(value)}" is not a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)`);
}

/** Names of DataVolumes, claims, storage classes and migration objects: apimachinery `IsDNS1123Subdomain`. */
export function dnsSubdomainRefusal(value: string): Refusal | undefined {
  return isDnsSubdomain(value) ? undefined : refuse(`"${abbreviate(value)}" is not a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", at most 253 characters)`);
}

export function migrationIdRefusal(value: string): Refusal | undefined {
  if (value.length >= 1 && value.length <= MIGRATION_ID_MAX_LENGTH && MIGRATION_ID_PATTERN.test(value)) return undefined;
  return refuse(`"${value}" is not a migration ID (letters, digits, "-", "_" and ".", starting and ending with a letter or digit, at most 253 characters)`);
}

/** The address KubeVirt dials (`isHostPort`): a scheme, a port out of range or an unbracketed IPv6 address fails it. */
export function connectUrlRefusal(value: string): Refusal | undefined {
  return isHostPort(value) ? undefined : refuse(`"${value}" is not host:port, ip:port or [ipv6]:port with a port in 1-65535 (no scheme)`);
}

export function volumeModeRefusal(value: string): Refusal | undefined {
  return (VOLUME_MODES as readonly string[]).includes(value) ? undefined : refuse(`"${value}" is not a volume mode (${VOLUME_MODES.join(' or ')})`);
}

export function accessModesRefusal(values: readonly string[]): Refusal | undefined {
  const unknown = values.find((v) => !(ACCESS_MODES as readonly string[]).includes(v));
  if (unknown !== undefined) return refuse(`"${unknown}" is not an access mode (${ACCESS_MODES.join(', ')})`);
  if (values.length === 0) return refuse('has fewer than 1 item: list an access mode, or leave the field out');
  const twice = values.find((v, i) => values.indexOf(v) !== i);
  if (twice !== undefined) return refuse(`has duplicate items: "${twice}" twice`);
  return undefined;
}

/**
 * A disk's size: a positive quantity, and at least the source disk's (libvirt refuses a smaller target), or at least
 * `minimum` when a Filesystem target needs CDI's filesystem overhead on top of the source's size.
 */
export function diskSizeRefusal(size: string, sourceSize?: string, minimum: string | undefined = sourceSize): Refusal | undefined {
  const parsed = parseQuantity(size);
  if (!parsed || parsed.numerator <= 0n) return refuse(`"${size}" is not a positive Kubernetes quantity (e.g. 30Gi)`);
  const least = minimum === undefined ? undefined : parseQuantity(minimum);
  if (least && compareQuantities(parsed, least) < 0) {
    const overhead = minimum === sourceSize ? '' : ` with CDI's filesystem overhead on a Filesystem target, ${minimum}`;
    return refuse(`${size} is smaller than the source disk (${sourceSize}${overhead}): the migration would fail`, `use at least ${minimum}`);
  }
  return undefined;
}

/**
 * The source VM's run strategy, which the receiver returns to: a VM that is not running, or is itself a receiver,
 * cannot be moved live. (Where a rule on which running strategies may move belongs: here, for both faces.)
 */
export function runStrategyRefusal(strategy: string): Refusal | undefined {
  const start = 'only a running VM can be live-migrated; start it and set `runStrategy: Always` (or RerunOnFailure/Manual/Once)';
  if (!(RUN_STRATEGIES as readonly string[]).includes(strategy)) return refuse(`"${strategy}" is not one of KubeVirt's run strategies`, 'use Always, RerunOnFailure, Manual or Once');
  if (strategy === 'Halted') return refuse('"Halted" is not a running strategy: the source VM is not running', start);
  if (strategy === 'WaitAsReceiver') return refuse('"WaitAsReceiver" is not a running strategy: the source VM is itself a receiver');
  return undefined;
}

export function isRestoreRunStrategy(strategy: string): strategy is RestoreRunStrategy {
  return runStrategyRefusal(strategy) === undefined;
}

/**
 * What KubeVirt does, once the move completes, to a source whose run strategy is not Always (virt-controller
 * `vm/vm.go`, `syncRunStrategy`): only an Always source is set Halted ("decentralized migration completed, setting
 * runStrategy to halted").
 */
const AFTER_THE_MOVE: Readonly<Record<string, string>> = {
  RerunOnFailure: 'KubeVirt does not halt it, and if its VMI ends Failed instead of Succeeded the controller starts it again (`vmiFailed`)',
  Manual: 'KubeVirt leaves it stopped but not Halted, and a start request (`virtctl start`) boots it again',
  Once: 'KubeVirt leaves it stopped but not Halted, and once its finished VMI is deleted the controller starts a new one',
};

/**
 * A source that is not `Always` is never halted by KubeVirt, so it can boot again from its stale disks beside the
 * migrated VM: refused unless the user accepts upstream's behaviour (`allowRunStrategy`), when it is a warning.
 */
export function sourceNotHaltedRefusal(strategy: string): Refusal | undefined {
  const after = AFTER_THE_MOVE[strategy];
  if (after === undefined) return undefined;
  return refuse(`the source VM's runStrategy is ${strategy}: when the move completes ${after}, from its stale disks, a second copy of the migrated VM`, 'make the source Always, or accept this with allowRunStrategy');
}

/** Both ends in one cluster and namespace: a decentralized migration needs another namespace or cluster. */
export function sameNamespaceRefusal(namespace: string): Refusal {
  return refuse(
    `source and destination are the same namespace "${namespace}" of one cluster`,
    'a decentralized migration moves a VM to another namespace or cluster; use a regular live migration to change nodes',
  );
}

/**
 * The split-brain guard. KubeVirt halts a migrated `Always` source VM; if the sync that applies a managed source VM
 * then puts `Always` back, a second copy boots from the stale source disks while the migrated one runs. So a managed
 * source VM with runStrategy Always may only migrate when its sync ignores `/spec/runStrategy`.
 */
export function splitBrainRefusal(migration: { readonly phase: string; readonly sourceRunStrategy: string; readonly runStrategyIgnored: boolean }): Refusal | undefined {
  if (migration.phase !== 'migrate' || migration.sourceRunStrategy !== 'Always' || migration.runStrategyIgnored) return undefined;
  return refuse(
    'the source VM is managed here with runStrategy Always, and nothing makes the sync ignore its runStrategy: ' +
      'after KubeVirt halts it, a sync would start it again from its stale disks while the migrated VM runs',
  );
}

/** What identifies a migration for the duplicate guards; a cluster is a folder (CLI) or a chart (constructs). */
export interface MigrationIdentity {
  readonly name: string;
  readonly vm: string;
  readonly source: { readonly cluster: string; readonly namespace: string };
  readonly destination: { readonly cluster: string; readonly namespace: string };
  /** Only when chosen by hand: derived IDs differ by construction. */
  readonly migrationID?: string;
}

/** Which identity field a duplicate is about, so each face can point at its own field. */
export type DuplicateField = 'name' | 'vm' | 'destination' | 'migrationID';

/**
 * The duplicate guards: one VM moves once at a time, a namespace takes one VM of a name, migration names and chosen
 * IDs are unique. `T` is how a face points back at the first claimant (a config index, a construct path).
 */
export class DuplicateGuard<T> {
  private readonly seen = new Map<string, T>();
  private readonly disks = new Map<string, { readonly owner: T; readonly migration: string }>();

  /** Records `migration`, and returns what it duplicates, each with the first claimant. */
  public claim(migration: MigrationIdentity, owner: T): (FieldRefusal & { readonly field: DuplicateField; readonly first: T })[] {
    const { source, destination, vm } = migration;
    const keys: [DuplicateField, string, Refusal][] = [
      ['name', `name|${migration.name}`, refuse(`duplicate migration name "${migration.name}"`, 'give one of them its own name')],
      ['vm', `vm|${source.cluster}/${source.namespace}/${vm}`, refuse(`VM "${source.namespace}/${vm}" is migrated twice`, 'a VM moves once at a time: remove one migration, or raise the attempt of the one to retry')],
      [
        'destination',
        `target|${destination.cluster}/${destination.namespace}/${vm}`,
        refuse(`two migrations move a VM named "${vm}" into namespace "${destination.namespace}"`, 'a namespace holds one VM of a name: send one of them elsewhere'),
      ],
    ];
    if (migration.migrationID !== undefined) {
      keys.push(['migrationID', `id|${migration.migrationID}`, refuse(`duplicate migrationID "${migration.migrationID}"`, 'every migration needs its own ID')]);
    }
    return keys.flatMap(([field, key, refusal]) => {
      const first = this.seen.get(key);
      if (first === undefined) {
        this.seen.set(key, owner);
        return [];
      }
      return [{ field, first, ...refusal }];
    });
  }

  /** Two migrations must not create the same DataVolume: the second would silently take the first one's place. */
  public claimDisk(destination: MigrationIdentity['destination'], dataVolume: string, migration: string, owner: T): (Refusal & { readonly first: T }) | undefined {
    const key = `${destination.cluster}/${destination.namespace}/${dataVolume}`;
    const first = this.disks.get(key);
    if (first === undefined) {
      this.disks.set(key, { owner, migration });
      return undefined;
    }
    return {
      first: first.owner,
      message: `migrations "${first.migration}" and "${migration}" both create DataVolume "${dataVolume}" in namespace "${destination.namespace}"`,
      hint: 'move one of them to another namespace',
    };
  }
}
