import type { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { VirtualMachineManifest } from '../kubevirt/api.ts';
import { SyncWave } from './argocd-annotations.ts';
import { virtualMachineObject } from './virtual-machine-object.ts';

/** Properties of a {@link SourceVirtualMachine}. */
export interface SourceVirtualMachineProps {
  /** Name of the source VM. */
  readonly name: string;
  /** Namespace of the source VM. */
  readonly namespace: string;
  /** The source VM's `spec`, as it appears in YAML. */
  readonly spec: NonNullable<VirtualMachineManifest['spec']>;
  /**
   * Whether the VM has been migrated away (the cutover commit): it is then written `runStrategy: Halted`, as KubeVirt
   * left it, so no sync can start it again from its stale disks.
   * @default false - the VM as it runs today
   */
  readonly migratedAway?: boolean;
  /**
   * Labels of the VM.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Annotations added to the VM (besides Argo CD's sync wave and `Prune=false,Delete=false`).
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * A source VM that is managed in the same GitOps repository as its migration. While it migrates, its Application must
 * ignore `/spec/runStrategy` (KubeVirt halts it when the migration succeeds; reverting that would boot a second copy
 * from stale disks); at cutover it is written Halted. A VM still on the deprecated `running: true` is written with
 * `runStrategy: Always`, the form KubeVirt can halt.
 */
export class SourceVirtualMachine extends Construct {
  /** The generated VirtualMachine. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: SourceVirtualMachineProps) {
    super(scope, id);
    const { running, ...spec } = props.spec;
    // KubeVirt halts a migrated source by setting runStrategy (`syncRunStrategy` in virt-controller vm.go), which the
    // VM admitter rejects beside the deprecated `running` (`validateRunStrategy`): so `running: true` becomes Always.
    const runStrategy = props.migratedAway ? 'Halted' : running === true ? 'Always' : undefined;
    this.apiObject = virtualMachineObject(
      this,
      { name: props.name, namespace: props.namespace, labels: props.labels, annotations: props.annotations, syncWave: SyncWave.SOURCE_VM },
      runStrategy ? { ...spec, runStrategy } : props.spec,
    );
  }
}
