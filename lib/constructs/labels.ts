/** Labels and annotations kvmigrate puts on everything it generates, so a user can find and select it. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'kvmigrate';
/** The migration's name (a DNS label, so it fits a label value). */
export const MIGRATION_LABEL = 'kvmigrate.io/migration';
/** The migrationID, an annotation because IDs may be longer than a label value's 63 characters. */
export const MIGRATION_ID_ANNOTATION = 'kvmigrate.io/migration-id';
