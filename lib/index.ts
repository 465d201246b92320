// kvmigrate's public API: the construct library (usable from any cdk8s app, no config file needed) and the
// compiler pipeline behind `kvmigrate synth`.
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
export { loadConfig, type LoadedConfig, type MigrationEntry } from './config/load-config.ts';
export type { MigrationsConfig, Migration } from './config/types.generated.ts';
export { planMigrations, type MigrationPlan, type PlanResult, DEFAULT_CLUSTER } from './plan/plan.ts';
export type { DiskPlan } from './plan/disks.ts';
export type { ReceiverPlan } from './plan/receiver.ts';
export { deriveMigrationId } from './plan/migration-id.ts';
export { renderPlans, type RenderedFile } from './synth/render.ts';
export { synthesize, type SynthesisOptions, type SynthesisResult } from './synth/synthesize.ts';
export { DiagnosticBag, InputError, formatDiagnostic, type Diagnostic, type Location } from './diagnostics.ts';
