import type { MigrationEntry } from '../config/load-config.ts';
import type { DiagnosticBag } from '../diagnostics.ts';
import { INSTANCETYPE_KINDS, type InstancetypeMatcher } from '../kubevirt/api.ts';
import { checkCarriedMetadata, ownMetadata } from './metadata.ts';

/** An instancetype or preference the receiver names, which the destination must hold before the receiver starts. */
export interface InstancetypePlan {
  readonly kind: string;
  readonly name: string;
  /** Namespaced kinds live in the destination namespace; cluster-scoped ones must already exist there. */
  readonly namespaced: boolean;
  /**
   * The source's definition, emitted in the destination namespace (namespaced kinds found in the source manifest,
   * unless the config says the destination already has them).
   */
  readonly copy?: {
    readonly apiVersion: string;
    readonly spec: unknown;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
  };
}

/**
 * The kind KubeVirt resolves a matcher to: it lowercases `kind` and compares it with the singular and plural resource
 * names, and an empty kind is the cluster-scoped one (`pkg/instancetype/find/spec.go` `specFinder.Find`); anything
 * else fails the VM ("got unexpected kind in InstancetypeMatcher").
 */
export function resolveMatcherKind(which: keyof typeof INSTANCETYPE_KINDS, kind: string | undefined): { kind: string; namespaced: boolean } | undefined {
  const kinds = INSTANCETYPE_KINDS[which];
  const lower = (kind ?? '').toLowerCase();
  if (lower === '' || lower === kinds.cluster.toLowerCase() || lower === `${kinds.cluster.toLowerCase()}s`) return { kind: kinds.cluster, namespaced: false };
  if (lower === kinds.namespaced.toLowerCase() || lower === `${kinds.namespaced.toLowerCase()}s`) return { kind: kinds.namespaced, namespaced: true };
  return undefined;
}

/**
 * Plans what the receiver's instancetype and preference need at the destination. A namespaced one missing there
 * means the receiver never gets a VMI; so its definition from the source manifest is copied (as Forklift's OCP live
 * migration does, `Builder.LocalInstanceType`), or a warning names it and how to provide it.
 */
export function planInstancetypes(entry: MigrationEntry, bag: DiagnosticBag): InstancetypePlan[] {
  const { object, locate } = entry.source.virtualMachine;
  const plans: InstancetypePlan[] = [];
  const matchers: [keyof typeof INSTANCETYPE_KINDS, InstancetypeMatcher | undefined][] = [
    ['instancetype', object.spec?.instancetype],
    ['preference', object.spec?.preference],
  ];
  for (const [which, matcher] of matchers) {
    if (!matcher?.name) continue;
    const resolved = resolveMatcherKind(which, matcher.kind);
    if (!resolved) {
      const kinds = INSTANCETYPE_KINDS[which];
      bag.error(`spec.${which}.kind "${matcher.kind}" is not a kind KubeVirt accepts`, locate(['spec', which, 'kind']), `use ${kinds.namespaced} or ${kinds.cluster}`);
      continue;
    }
    const plan = { kind: resolved.kind, name: matcher.name, namespaced: resolved.namespaced };
    if (!resolved.namespaced || entry.destination.instancetypesPresent) {
      plans.push(plan);
      continue;
    }
    const definition = entry.source.manifest.instancetypes.find(
      (d) => d.object.kind === resolved.kind && d.object.metadata?.name === matcher.name && (d.object.metadata?.namespace ?? entry.source.namespace) === entry.source.namespace,
    );
    if (definition) {
      checkCarriedMetadata(definition.object.metadata, definition.locate, ['metadata'], `${resolved.kind} "${matcher.name}"`, bag);
      plans.push({ ...plan, copy: { apiVersion: String(definition.object.apiVersion), spec: definition.object.spec ?? {}, ...ownMetadata(definition.object.metadata) } });
      continue;
    }
    bag.warning(
      `migration "${entry.name}": the receiver needs ${resolved.kind} "${matcher.name}" in namespace "${entry.destination.namespace}", ` +
        `and ${entry.source.manifest.file} does not hold it: without it the receiver never gets an instance`,
      locate(['spec', which, 'name']),
      `add it to the manifest (\`kvmigrate pull\` fetches it, or \`kubectl get vm,vminstancetype,vmpref -n ${entry.source.namespace} -o yaml\`), ` +
        'or set `destination.instancetypesPresent: true` when the destination already has it',
    );
    plans.push(plan);
  }
  return plans;
}
