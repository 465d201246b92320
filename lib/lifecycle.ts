/**
 * Where a migration stands; each step is one commit. `migrate`: disks, receiver, migrations and hook. `cutover` (after
 * success): the destination VM with its final run strategy and its disks, no migrations, no hook. `abort`: no
 * migrations, no hook; the receiver and its disks kept unless removed.
 */
export type MigrationPhase = 'migrate' | 'cutover' | 'abort';
