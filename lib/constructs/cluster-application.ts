import { Construct } from 'constructs';
import { Application, type ApplicationSpecIgnoreDifferences } from '../../imports/argocd-application-argoproj.io.ts';
import { withSyncWave } from './argocd-annotations.ts';
import { MANAGED_BY, MANAGED_BY_LABEL } from './labels.ts';
import { RUN_STRATEGY_POINTER } from '../rules/migration.ts';

/** A VirtualMachine whose `spec.runStrategy` KubeVirt rewrites, so Argo CD must not compare or restore it. */
export interface RunStrategyOwnedByKubeVirt {
  /** Name of the VirtualMachine. */
  readonly name: string;
  /** Its namespace. */
  readonly namespace: string;
}

/** Properties of a {@link ClusterApplication}. */
export interface ClusterApplicationProps {
  /** Name of the Application. */
  readonly name: string;
  /**
   * Argo CD's namespace.
   * @default 'argocd'
   */
  readonly namespace?: string;
  /**
   * Argo CD project.
   * @default 'default'
   */
  readonly project?: string;
  /** The Git repository holding the manifests. */
  readonly repoURL: string;
  /**
   * Branch, tag or commit to follow.
   * @default 'HEAD'
   */
  readonly targetRevision?: string;
  /** The cluster's folder in the repository. */
  readonly path: string;
  /**
   * Sync only this file of the folder (Argo CD's `directory.include`): a per-migration Application.
   * @default - the whole folder
   */
  readonly include?: string;
  /**
   * The Application's sync wave, for an app-of-apps that syncs the Applications batch by batch.
   * @default - none
   */
  readonly syncWave?: number;
  /** The cluster's API server, as registered in Argo CD. */
  readonly server: string;
  /**
   * VMs whose runStrategy KubeVirt owns during the migration: receivers (WaitAsReceiver -> restored strategy) and
   * managed source VMs (Always -> Halted).
   * @default - none
   */
  readonly runStrategyOwnedByKubeVirt?: readonly RunStrategyOwnedByKubeVirt[];
  /**
   * Sync every new commit automatically (with pruning; kvmigrate's disks, VMs and migrations opt out of pruning).
   * @default true
   */
  readonly automated?: boolean;
  /**
   * Revert changes made in the cluster. Off by default: KubeVirt itself changes what kvmigrate emits.
   * @default false
   */
  readonly selfHeal?: boolean;
}

/**
 * The Argo CD Application of one cluster folder. It never compares what KubeVirt owns: the runStrategy of receivers
 * and migrating source VMs (`ignoreDifferences` with `RespectIgnoreDifferences=true`, so a sync does not write the
 * ignored field either). Migrations are not in its folder: the hook creates them. It has no deletion finalizer:
 * deleting the Application leaves the VMs running.
 */
export class ClusterApplication extends Construct {
  /** The generated Argo CD Application. */
  public readonly apiObject: Application;

  public constructor(scope: Construct, id: string, props: ClusterApplicationProps) {
    super(scope, id);
    const automated = props.automated ?? true;
    const ignoreDifferences: ApplicationSpecIgnoreDifferences[] = [
      ...(props.runStrategyOwnedByKubeVirt ?? []).map((vm) => ({
        group: 'kubevirt.io',
        kind: 'VirtualMachine',
        name: vm.name,
        namespace: vm.namespace,
        jsonPointers: [RUN_STRATEGY_POINTER],
      })),
    ];
    this.apiObject = new Application(this, 'Resource', {
      metadata: {
        name: props.name,
        namespace: props.namespace ?? 'argocd',
        labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
        annotations: props.syncWave === undefined ? undefined : withSyncWave(undefined, props.syncWave),
      },
      spec: {
        project: props.project ?? 'default',
        source: {
          repoUrl: props.repoURL,
          targetRevision: props.targetRevision ?? 'HEAD',
          path: props.path,
          directory: props.include ? { include: props.include } : undefined,
        },
        destination: { server: props.server },
        ignoreDifferences: ignoreDifferences.length > 0 ? ignoreDifferences : undefined,
        syncPolicy: {
          automated: automated ? { prune: true, selfHeal: props.selfHeal ?? false } : undefined,
          syncOptions: ['RespectIgnoreDifferences=true'],
          retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
        },
      },
    });
  }
}
