import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { MigrationPhase } from '../lifecycle.ts';
import { boundedName } from '../names.ts';
import { SyncWave, withSyncWave } from './argocd-annotations.ts';

/** Properties of a {@link MigrationRecord}. */
export interface MigrationRecordProps {
  /** Name of the migration. */
  readonly migrationName: string;
  /** The VM being moved. */
  readonly vmName: string;
  /** The namespace of this end of the migration. */
  readonly namespace: string;
  /** Which end of the migration this cluster folder holds. */
  readonly role: 'source' | 'destination' | 'both';
  /** Where the migration stands: `migrate`, `cutover` or `abort`. */
  readonly phase: MigrationPhase;
  /** The ID that pairs the migration's two migration objects. */
  readonly migrationID: string;
  /**
   * Labels.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * A small ConfigMap at each end of a migration that says where it stands (phase, VM, migrationID). It keeps every
 * cluster folder that a migration touches non-empty in every phase (after a cutover without a managed source, or an
 * abort that removes the receiver), so the folder's Argo CD Application never points at a missing folder, and it lets
 * `kubectl get cm -l app.kubernetes.io/managed-by=kvmigrate` list the migrations a namespace takes part in.
 */
export class MigrationRecord extends Construct {
  /** The generated ConfigMap, named `<migrationName>-kvmigrate`. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: MigrationRecordProps) {
    super(scope, id);
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: boundedName(props.migrationName, 'kvmigrate'),
        namespace: props.namespace,
        labels: props.labels && { ...props.labels },
        annotations: withSyncWave(undefined, SyncWave.HOOK_ACCESS),
      },
      data: { vm: props.vmName, role: props.role, phase: props.phase, migrationID: props.migrationID },
    });
  }
}
