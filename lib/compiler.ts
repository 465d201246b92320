// The compiler behind `kvmigrate synth`, for programs that drive it: config -> plan -> constructs -> files. An ES
// module that loads the config parser and validators; the constructs alone are the package's main entry point.
export { loadConfig, type LoadedConfig, type MigrationEntry } from './config/load-config.ts';
export type { MigrationsConfig, Migration } from './config/types.generated.ts';
export { planMigrations, type MigrationPlan, type PlanResult, DEFAULT_CLUSTER } from './plan/plan.ts';
export type { DiskPlan } from './plan/disks.ts';
export type { ReceiverPlan } from './plan/receiver.ts';
export { deriveMigrationId } from './plan/migration-id.ts';
export { renderPlans, type RenderedFile } from './synth/render.ts';
export { synthesize, type SynthesisOptions, type SynthesisResult } from './synth/synthesize.ts';
export { DiagnosticBag, InputError, formatDiagnostic, type Diagnostic, type Location } from './diagnostics.ts';
