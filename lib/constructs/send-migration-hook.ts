import type { V1JobSpec, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { DEFAULT_TIMEOUT_SECONDS, hookJobDeadlineSeconds } from '../hook-timeouts.ts';
import { DEFAULT_KUBEVIRT_NAMESPACE } from '../kubevirt/api.ts';
import { boundedName, shortHash } from '../names.ts';
import { HOOK_IMAGE_REPOSITORY, VERSION } from '../package-info.generated.ts';
import { connectUrlRefusal, dnsLabelRefusal, dnsSubdomainRefusal, migrationIdRefusal } from '../rules/migration.ts';
import { field, throwIfRefused } from './refusals.ts';
import { SendHookAccess } from './send-hook-access.ts';
import { FLUX_FORCE_ANNOTATION, SyncWave, withSyncWave } from './argocd-annotations.ts';

/** The hook image the release of this version publishes (built from the Dockerfile by .github/workflows/release.yml). */
export const DEFAULT_HOOK_IMAGE = `${HOOK_IMAGE_REPOSITORY}:${VERSION}`;
/** Where the hook Job mounts the destination kubeconfig Secret (key `kubeconfig`). */
const DESTINATION_KUBECONFIG_DIR = '/etc/kvmigrate/destination';

/** The hook settings a user chooses; the rest of {@link SendMigrationHookProps} comes from the migration. */
export type SendMigrationHookSettings = Pick<
  SendMigrationHookProps,
  'kubevirtNamespace' | 'leaseFallback' | 'image' | 'imagePullPolicy' | 'timeoutSeconds' | 'migrationTimeoutSeconds' | 'wait' | 'destinationKubeconfigSecret' | 'name'
  | 'synchronizingTimeoutSeconds' | 'addressFamily' | 'probeAddresses'
>;

/** Properties of a {@link SendMigrationHook}. */
export interface SendMigrationHookProps {
  /** The VM instance to move. */
  readonly vmiName: string;
  /** The migrationID of the receive migration. */
  readonly migrationID: string;
  /** Namespace of the source VM: the Job runs and creates the sendTo migration here. */
  readonly sourceNamespace: string;
  /** Namespace of the receiver VM and its receive migration. */
  readonly destinationNamespace: string;
  /** Name of the sendTo migration the hook creates. */
  readonly sendMigrationName: string;
  /** Name of the receive migration the hook creates once the receiver is parked. */
  readonly receiveMigrationName: string;
  /**
   * A static address of the destination's synchronization controller (`host:port`, `[ipv6]:port`).
   * @default - discovered at run time
   */
  readonly connectURL?: string;
  /**
   * KubeVirt's namespace at the destination (`openshift-cnv` on OpenShift).
   * @default 'kubevirt'
   */
  readonly kubevirtNamespace?: string;
  /**
   * Also find the synchronization controller through its Lease and pod in KubeVirt's namespace when KubeVirt
   * publishes no address; grants the hook a Role there.
   * @default false - the hook reads the address KubeVirt publishes on the receive migration, and needs no access to
   *   KubeVirt's namespace
   */
  readonly leaseFallback?: boolean;
  /**
   * The hook image (see the Dockerfile).
   * @default DEFAULT_HOOK_IMAGE
   */
  readonly image?: string;
  /**
   * When the kubelet pulls the hook image.
   * @default 'IfNotPresent'
   */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /**
   * How long the hook waits for the receive side to be ready and for the sync address.
   * @default 600
   */
  readonly timeoutSeconds?: number;
  /**
   * With `wait`: how long the hook follows the transfer, once the sendTo migration exists. The Job's
   * `activeDeadlineSeconds` is both timeouts plus 300 s.
   * @default 3600
   */
  readonly migrationTimeoutSeconds?: number;
  /**
   * Keep the Job running until the migration ends, so the sync fails (and runs SyncFail hooks) if the migration does.
   * @default false - the Job ends once the sendTo migration exists
   */
  readonly wait?: boolean;
  /**
   * With `wait`: fail when the sendTo migration stays Synchronizing this long (it never reached the receiver, and
   * KubeVirt waits forever), deleting the receive migration so a retry starts clean. Within `migrationTimeoutSeconds`.
   * @default 300
   */
  readonly synchronizingTimeoutSeconds?: number;
  /**
   * Take only published synchronization addresses of this family.
   * @default - any (a dual-stack cluster publishes both)
   */
  readonly addressFamily?: 'IPv4' | 'IPv6';
  /**
   * Of several published synchronization addresses, take the first that accepts a TCP connect from the hook's pod.
   * @default true - false takes the first listed
   */
  readonly probeAddresses?: boolean;
  /**
   * Secret in the source namespace holding a kubeconfig for the destination cluster (key `kubeconfig`).
   * @default - none: the destination is the hook's own cluster
   */
  readonly destinationKubeconfigSecret?: string;
  /**
   * Where the destination's Roles go when it is another cluster.
   * @default - this construct
   */
  readonly destinationScope?: Construct;
  /**
   * Name of the Job, its ServiceAccount, Roles and RoleBindings.
   * @default - `<vmiName>-send-hook-<hash of migrationID>`
   */
  readonly name?: string;
  /**
   * Labels of every object.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Annotations of every object (besides Argo CD's hook and wave annotations).
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * The Argo CD PostSync hook that drives a decentralized live migration: a Job that waits until the receiver is
 * parked, creates the receive migration, reads the destination synchronization controller's address at run time (it
 * changes with leader elections) and creates the sendTo migration. Migrations are one-shot: KubeVirt deletes finished
 * ones and Argo CD re-creates whatever it manages that is missing, so neither is an object in Git; the hook reads the
 * cluster and creates nothing after the VM has arrived. It runs under the Pod Security "restricted" profile with the least-privilege
 * access of a {@link SendHookAccess}, and is re-created on every sync (`BeforeHookCreation`), which the hook tolerates.
 */
export class SendMigrationHook extends Construct {
  /** The PostSync Job that creates both migrations. */
  public readonly job: ApiObject;
  /** The hook's ServiceAccount, Roles and RoleBindings. */
  public readonly access: SendHookAccess;
  /** Name of the Job and of its access objects. */
  public readonly name: string;

  public constructor(scope: Construct, id: string, props: SendMigrationHookProps) {
    super(scope, id);
    // The hook passes these to KubeVirt as they are: refused here, in the CLI's words (lib/rules).
    throwIfRefused(this, 'SendMigrationHook', [
      ...field('vmiName', dnsLabelRefusal(props.vmiName)),
      ...field('sourceNamespace', dnsLabelRefusal(props.sourceNamespace)),
      ...field('destinationNamespace', dnsLabelRefusal(props.destinationNamespace)),
      ...field('migrationID', migrationIdRefusal(props.migrationID)),
      ...field('sendMigrationName', dnsSubdomainRefusal(props.sendMigrationName)),
      ...field('receiveMigrationName', dnsSubdomainRefusal(props.receiveMigrationName)),
      ...field('connectURL', props.connectURL === undefined ? undefined : connectUrlRefusal(props.connectURL)),
    ]);
    this.name = props.name ?? boundedName(props.vmiName, `send-hook-${shortHash(props.migrationID)}`);
    const kubevirtNamespace = props.kubevirtNamespace ?? DEFAULT_KUBEVIRT_NAMESPACE;
    const timeoutSeconds = props.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    this.access = new SendHookAccess(this, 'Access', {
      name: this.name,
      sourceNamespace: props.sourceNamespace,
      destinationNamespace: props.destinationNamespace,
      // Only the Lease fallback reads KubeVirt's namespace, and never with a static connectURL (sync-address.ts).
      kubevirtNamespace: props.leaseFallback && props.connectURL === undefined ? kubevirtNamespace : undefined,
      vmiName: props.vmiName,
      sendMigrationName: props.sendMigrationName,
      receiveMigrationName: props.receiveMigrationName,
      destinationScope: props.destinationScope,
      labels: props.labels,
      annotations: props.annotations,
    });

    const secret = props.destinationKubeconfigSecret;
    const volumes: V1Volume[] | undefined = secret ? [{ name: 'destination-kubeconfig', secret: { secretName: secret, items: [{ key: 'kubeconfig', path: 'kubeconfig' }] } }] : undefined;
    const volumeMounts: V1VolumeMount[] | undefined = secret ? [{ name: 'destination-kubeconfig', mountPath: DESTINATION_KUBECONFIG_DIR, readOnly: true }] : undefined;
    const args = [
      'send',
      '--source-namespace', props.sourceNamespace,
      '--vmi', props.vmiName,
      '--migration-id', props.migrationID,
      '--name', props.sendMigrationName,
      '--destination-namespace', props.destinationNamespace,
      '--receive-name', props.receiveMigrationName,
      ...(props.leaseFallback ? ['--kubevirt-namespace', kubevirtNamespace] : ['--published-address-only']),
      '--timeout', String(timeoutSeconds),
      ...(props.connectURL !== undefined ? ['--connect-url', props.connectURL] : []),
      ...(secret ? ['--destination-kubeconfig', `${DESTINATION_KUBECONFIG_DIR}/kubeconfig`] : []),
      ...(props.wait ? ['--wait'] : []),
      ...(props.wait && props.migrationTimeoutSeconds !== undefined ? ['--migration-timeout', String(props.migrationTimeoutSeconds)] : []),
      ...(props.wait && props.synchronizingTimeoutSeconds !== undefined ? ['--synchronizing-timeout', String(props.synchronizingTimeoutSeconds)] : []),
      ...(props.addressFamily ? ['--address-family', props.addressFamily] : []),
      ...(props.probeAddresses === false ? ['--no-address-probe'] : []),
    ];

    const spec: V1JobSpec = {
      backoffLimit: 2,
      activeDeadlineSeconds: hookJobDeadlineSeconds(props),
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: { labels: props.labels && { ...props.labels } },
        spec: {
          serviceAccountName: this.access.serviceAccountName,
          restartPolicy: 'Never',
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'send',
              image: props.image ?? DEFAULT_HOOK_IMAGE,
              imagePullPolicy: props.imagePullPolicy ?? 'IfNotPresent',
              args,
              resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
              securityContext: {
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts,
            },
          ],
          volumes,
        },
      },
    };
    this.job = new ApiObject(this, 'Job', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: this.name,
        namespace: props.sourceNamespace,
        labels: props.labels && { ...props.labels },
        annotations: withSyncWave(
          {
            ...props.annotations,
            'argocd.argoproj.io/hook': 'PostSync',
            // A retry re-creates the Job instead of reading the failed one; a finished one goes away.
            'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation,HookSucceeded',
            // Flux applies the Job like any object: a Job's template is immutable, so a changed one is re-created.
            [FLUX_FORCE_ANNOTATION]: 'Enabled',
          },
          SyncWave.SEND_MIGRATION,
        ),
      },
      spec,
    });
    this.job.node.addDependency(this.access);
  }
}
