// kvmigrate's construct library, for any cdk8s app: it loads only cdk8s and constructs. The compiler behind
// `kvmigrate synth` (config, plan, render) is the `kvmigrate/compiler` entry point.
export * from './constructs/blank-data-volume.ts';
export * from './constructs/receiver-virtual-machine.ts';
export * from './constructs/migration-pair.ts';
export * from './constructs/decentralized-migration.ts';
export * from './constructs/send-migration-hook.ts';
export * from './constructs/send-hook-access.ts';
export * from './constructs/instancetype-copy.ts';
export * from './constructs/cluster-application.ts';
export * from './constructs/migration-record.ts';
export * from './constructs/argocd-annotations.ts';
export * from './constructs/labels.ts';
export * from './kubevirt/api.ts';
export type { MigrationPhase } from './lifecycle.ts';
export * from './constructs/source-virtual-machine.ts';
export * from './constructs/migration-set.ts';
export { ACCESS_MODES, VOLUME_MODES, type AccessMode, type RestoreRunStrategy, type VolumeMode } from './rules/migration.ts';
