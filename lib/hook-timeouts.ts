// The post-sync hook's clocks, shared by the Job that kvmigrate emits and the hook program that runs in it.

/** How long the hook waits for the receive side to be ready and for the sync address (`hook.timeoutSeconds`). */
export const DEFAULT_TIMEOUT_SECONDS = 600;
/** With `wait`: how long the hook follows the transfer once the sendTo migration exists (`hook.migrationTimeoutSeconds`). */
export const DEFAULT_MIGRATION_TIMEOUT_SECONDS = 3600;
/**
 * With `wait`: how long the sendTo migration may stay Synchronizing (`hook.synchronizingTimeoutSeconds`). A source
 * reaches a live receiver in seconds; upstream waits forever when the first contact failed.
 */
export const DEFAULT_SYNCHRONIZING_TIMEOUT_SECONDS = 300;
/** Room for the image pull, the hook's retries of transient API faults and its start-up. */
const JOB_MARGIN_SECONDS = 300;

/**
 * The hook Job's `activeDeadlineSeconds`: the readiness clock, the transfer clock when the hook follows the migration,
 * and a margin. Kubernetes kills the Job at this deadline, so it must never be shorter than the hook's own clocks.
 */
export function hookJobDeadlineSeconds(settings: { timeoutSeconds?: number; migrationTimeoutSeconds?: number; wait?: boolean }): number {
  const transfer = settings.wait ? (settings.migrationTimeoutSeconds ?? DEFAULT_MIGRATION_TIMEOUT_SECONDS) : 0;
  return (settings.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) + transfer + JOB_MARGIN_SECONDS;
}
