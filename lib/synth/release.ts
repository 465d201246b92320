import { existsSync } from 'node:fs';
import { DEFAULT_HOOK_IMAGE } from '../constructs/send-migration-hook.ts';
import type { Diagnostic } from '../diagnostics.ts';
import type { MigrationPlan } from '../plan/plan.ts';
import { VERSION } from '../package-info.generated.ts';

/**
 * Whether this is a released build: the release workflow's build writes build/release.json (scripts/build.ts) beside
 * build/cli/, where this code runs bundled. Run from sources or from a local build, there is no such file.
 */
export function isReleasedBuild(): boolean {
  return existsSync(new URL('../release.json', import.meta.url));
}

/**
 * One warning when a hook uses the default image but this kvmigrate is a local build: the image of its version may
 * not exist (nothing publishes it but a release), and every hook Job would then fail to pull.
 */
export function unreleasedHookImageWarning(plans: readonly MigrationPlan[], configPath: string, released?: boolean): Diagnostic | undefined {
  if (!plans.some((plan) => plan.hook && plan.hook.image === undefined) || (released ?? isReleasedBuild())) return undefined;
  return {
    severity: 'warning',
    message: `hook.image is not set, so the hook Jobs run ${DEFAULT_HOOK_IMAGE}, which only the release of kvmigrate ${VERSION} publishes, and this kvmigrate is a local build`,
    location: { file: configPath },
    hint: 'set hook.image to an image built from this checkout (docker build -t <registry>/kvmigrate-hook:<tag> .), or use a released kvmigrate',
  };
}
