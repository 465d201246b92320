import type { V1PolicyRule } from '@kubernetes/client-node';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { SYNC_CONTROLLER_LEASE } from '../kubevirt/api.ts';
import { boundedName } from '../names.ts';
import { remoteScope } from './remote-scope.ts';
import { SyncWave, withSyncWave } from './argocd-annotations.ts';

/** Properties of a {@link SendHookAccess}. */
export interface SendHookAccessProps {
  /** Name of the ServiceAccount, and of every Role and RoleBinding. */
  readonly name: string;
  /** Namespace of the source VM: the ServiceAccount lives here and creates the sendTo migration here. */
  readonly sourceNamespace: string;
  /** Namespace of the receiver VM and its receive migration, which the hook reads. */
  readonly destinationNamespace: string;
  /**
   * KubeVirt's namespace at the destination, where the hook reads the KubeVirt CR, the Lease and its Pod (its Lease
   * fallback).
   * @default - no access there: the hook reads the address KubeVirt publishes on the receive migration
   */
  readonly kubevirtNamespace?: string;
  /** The VM instance the hook reads at the destination. */
  readonly vmiName: string;
  /** The sendTo migration the hook may read back. */
  readonly sendMigrationName: string;
  /** The receive migration the hook creates and may read back. */
  readonly receiveMigrationName: string;
  /**
   * The ServiceAccount at the destination, when it is another cluster: stable for the migration (every attempt's
   * Roles bind to it), so the kubeconfig Secret made for it once keeps working across retries.
   * @default - `<vmiName>-kvmigrate-hook`
   */
  readonly destinationServiceAccountName?: string;
  /**
   * Where the destination's Roles go when it is another cluster. There they are bound to a reader ServiceAccount of
   * the same name in the destination namespace, whose token belongs in the hook's destination kubeconfig.
   * @default - this construct: the destination is this cluster, and its Roles are bound to the hook's ServiceAccount
   */
  readonly destinationScope?: Construct;
  /**
   * Labels of every object.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Annotations of every object (besides the sync wave).
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

const RBAC_V1 = 'rbac.authorization.k8s.io/v1';
const kubevirtRule = (resources: string[], verbs: string[], resourceNames?: string[]): V1PolicyRule => ({ apiGroups: ['kubevirt.io'], resources, verbs, resourceNames });

/** The destination-side ServiceAccount of a cross-cluster hook: one per migration, whatever the attempt. */
export function destinationServiceAccountName(vmiName: string): string {
  return boundedName(vmiName, 'kvmigrate-hook');
}

/**
 * Least-privilege access for the post-sync hook, all namespaced (no ClusterRoleBinding, no wildcards): read back and
 * create the sendTo migration and read the source VMI and its migrations in the source namespace, read the receiver VM
 * and VMI, create the receive migration and delete it (that name only) in the destination namespace, and read the KubeVirt CR, the synchronization controller's Lease and Pods in
 * KubeVirt's namespace. Applied before everything else (sync wave 0). No binding to KubeVirt's `kubevirt.io:migrate`
 * ClusterRole: it is plain RBAC (virt-operator `newMigrateClusterRole`) granting every verb on every migration of the
 * namespace, where the hook needs `create` and a `get` of its own two.
 */
export class SendHookAccess extends Construct {
  /** The ServiceAccount the hook Job runs as. */
  public readonly serviceAccountName: string;
  /** The objects granting access at the destination: in `destinationScope` when given, else this construct. */
  public readonly destinationAccess: Construct;

  public constructor(scope: Construct, id: string, props: SendHookAccessProps) {
    super(scope, id);
    this.serviceAccountName = props.name;
    const metadata = (namespace: string) => ({
      name: props.name,
      namespace,
      labels: props.labels && { ...props.labels },
      annotations: withSyncWave(props.annotations, SyncWave.HOOK_ACCESS),
    });
    // One Role and RoleBinding per namespace of a cluster: when KubeVirt's namespace is the source's or the
    // destination's, its rules join that namespace's Role (two objects of one name in one namespace would collide).
    const granted = new Map<string, V1PolicyRule[]>();
    const grant = (scope: Construct, id: string, namespace: string, rules: V1PolicyRule[], subject: { name: string; namespace: string }) => {
      const key = `${scope.node.path}\0${namespace}`;
      const existing = granted.get(key);
      if (existing) {
        existing.push(...rules);
        return;
      }
      granted.set(key, rules);
      const role = new ApiObject(scope, `${id}Role`, { apiVersion: RBAC_V1, kind: 'Role', metadata: metadata(namespace), rules });
      new ApiObject(scope, `${id}Binding`, {
        apiVersion: RBAC_V1,
        kind: 'RoleBinding',
        metadata: metadata(namespace),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: props.name },
        subjects: [{ kind: 'ServiceAccount', ...subject }],
      }).addDependency(role);
    };

    const hook = { name: props.name, namespace: props.sourceNamespace };
    new ApiObject(this, 'ServiceAccount', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: metadata(props.sourceNamespace), automountServiceAccountToken: true });
    // The source checks read the VMI and the namespace's migrations, as KubeVirt's create admitter does.
    grant(this, 'Source', props.sourceNamespace, [
      kubevirtRule(['virtualmachineinstancemigrations'], ['get'], [props.sendMigrationName]),
      kubevirtRule(['virtualmachineinstancemigrations'], ['create']),
      kubevirtRule(['virtualmachineinstancemigrations'], ['list']),
      kubevirtRule(['virtualmachineinstances'], ['get'], [props.vmiName]),
    ], hook);

    const destination = props.destinationScope ? remoteScope(this, props.destinationScope) : this;
    this.destinationAccess = destination;
    const reader = props.destinationScope
      ? { name: props.destinationServiceAccountName ?? destinationServiceAccountName(props.vmiName), namespace: props.destinationNamespace }
      : hook;
    if (props.destinationScope) {
      new ApiObject(destination, 'ReaderServiceAccount', {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { ...metadata(props.destinationNamespace), name: reader.name },
        automountServiceAccountToken: false,
      });
    }
    grant(destination, 'Destination', props.destinationNamespace, [
      kubevirtRule(['virtualmachineinstancemigrations'], ['list']),
      kubevirtRule(['virtualmachineinstancemigrations'], ['get'], [props.receiveMigrationName]),
      kubevirtRule(['virtualmachineinstancemigrations'], ['create']),
      // Its own receive migration only, deleted when the attempt cannot go on.
      kubevirtRule(['virtualmachineinstancemigrations'], ['delete'], [props.receiveMigrationName]),
      kubevirtRule(['virtualmachines'], ['get'], [props.vmiName]),
      kubevirtRule(['virtualmachineinstances'], ['get'], [props.vmiName]),
    ], reader);

    if (props.kubevirtNamespace) grant(destination, 'KubeVirt', props.kubevirtNamespace, [
      kubevirtRule(['kubevirts'], ['list']),
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get'], resourceNames: [SYNC_CONTROLLER_LEASE] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
    ], reader);
  }
}
