import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { renderCel, type HealthCheckExpression } from '../health/cel.ts';
import { HEALTH_RULES } from '../health/rules.ts';
import type { RunStrategyOwnedByKubeVirt } from './cluster-application.ts';
import { MANAGED_BY, MANAGED_BY_LABEL } from './labels.ts';
import { RUN_STRATEGY_POINTER } from '../rules/migration.ts';

let healthCheckExprs: readonly HealthCheckExpression[] | undefined;

/** The same for every Kustomization: rendered once (a fleet has one Kustomization per migration). */
function kubevirtHealthCheckExprs(): readonly HealthCheckExpression[] {
  healthCheckExprs ??= HEALTH_RULES.map(renderCel);
  return healthCheckExprs;
}

/** The Flux source a {@link ClusterKustomization} reads. */
export interface FluxSourceReference {
  /** `GitRepository`, `OCIRepository` or `Bucket`. */
  readonly kind: string;
  readonly name: string;
  /**
   * @default - the Kustomization's namespace
   */
  readonly namespace?: string;
}

/** Properties of a {@link ClusterKustomization}. */
export interface ClusterKustomizationProps {
  /** Name of the Kustomization. */
  readonly name: string;
  /**
   * Flux's namespace.
   * @default 'flux-system'
   */
  readonly namespace?: string;
  /** The source holding the manifests. */
  readonly sourceRef: FluxSourceReference;
  /** The folder in the source, e.g. `./dist/default`. */
  readonly path: string;
  /**
   * How often Flux applies the folder again.
   * @default '5m'
   */
  readonly interval?: string;
  /** How long a reconcile waits for the folder's objects to be ready: longer than the hook Job's deadline. */
  readonly timeout: string;
  /**
   * The Secret (in the Kustomization's namespace, key `value`) with a kubeconfig of a remote cluster.
   * @default - the cluster Flux runs in
   */
  readonly kubeConfigSecret?: string;
  /**
   * VMs whose runStrategy KubeVirt owns during the migration: receivers and managed source VMs.
   * @default - none
   */
  readonly runStrategyOwnedByKubeVirt?: readonly RunStrategyOwnedByKubeVirt[];
  /**
   * Kustomizations (in the same namespace) that must be Ready before this one applies.
   * @default - none
   */
  readonly dependsOn?: readonly string[];
}

/**
 * The Flux Kustomization of one cluster folder (kustomize-controller v1). It prunes what leaves Git (disks, VMs and
 * migrations opt out with `kustomize.toolkit.fluxcd.io/prune: Disabled`), waits for every object with the health
 * expressions rendered from kvmigrate's health rules, and never writes what KubeVirt owns: `spec.ignore` on each
 * migrating VM's `/spec/runStrategy` (fluxcd/pkg ssa `computeDriftedPaths`: an ignored field that drifted keeps its
 * in-cluster value in the applied object), so a VM first created from Git still gets Git's runStrategy.
 */
export class ClusterKustomization extends Construct {
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: ClusterKustomizationProps) {
    super(scope, id);
    const namespace = props.namespace ?? 'flux-system';
    const ignore = (props.runStrategyOwnedByKubeVirt ?? []).map((vm) => ({
      paths: [RUN_STRATEGY_POINTER],
      target: { group: 'kubevirt.io', kind: 'VirtualMachine', name: vm.name, namespace: vm.namespace },
    }));
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: props.name, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY } },
      spec: {
        interval: props.interval ?? '5m',
        path: props.path,
        sourceRef: { kind: props.sourceRef.kind, name: props.sourceRef.name, namespace: props.sourceRef.namespace ?? namespace },
        kubeConfig: props.kubeConfigSecret ? { secretRef: { name: props.kubeConfigSecret } } : undefined,
        dependsOn: props.dependsOn?.length ? props.dependsOn.map((name) => ({ name })) : undefined,
        prune: true,
        wait: true,
        timeout: props.timeout,
        healthCheckExprs: kubevirtHealthCheckExprs(),
        ignore: ignore.length > 0 ? ignore : undefined,
      },
    });
  }
}
