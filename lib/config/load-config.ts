import { readFileSync, statSync, type Stats } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { abbreviate, DiagnosticBag, fieldLabel, fileFault, fileFaultReason, type Location } from '../diagnostics.ts';
import { collapseAnyOf, describeSchemaError } from './schema-errors.ts';
import { parseManifestFile, type Located, type ManifestFile } from './source-manifest.ts';
import type { ArgoCD, Cluster, Fleet, Flux, DiskOverride, HookSettings, Migration, MigrationsConfig, StorageClassSettings, StorageMapping } from './types.generated.ts';
import type { VirtualMachineManifest } from '../kubevirt/api.ts';
import { connectUrlRefusal, DuplicateGuard, sameNamespaceRefusal, type DuplicateField } from '../rules/migration.ts';
import { validateConfig } from './validators.generated.js';
import { MAX_FILE_BYTES, YamlFile, type Locator, type YamlPath } from './yaml-file.ts';

/** One migration from the config with defaults applied and its source VM read. */
export interface MigrationEntry {
  /** Unique within the config; the VM name unless the entry names itself. */
  readonly name: string;
  readonly vm: string;
  readonly source: {
    readonly namespace: string;
    readonly cluster?: string;
    /** The source VirtualMachine, checked to be this VM. */
    readonly virtualMachine: Located<VirtualMachineManifest>;
    /** The whole manifest file: the VM's DataVolumes and PVCs may stand beside it. */
    readonly manifest: ManifestFile;
    /** The source VM is managed in this repository: kvmigrate emits it too. */
    readonly manage: boolean;
    /** Accept a running strategy other than Always as it is (KubeVirt then does not halt the source). */
    readonly allowRunStrategy: boolean;
  };
  readonly destination: {
    readonly namespace: string;
    /** Defaults to the source cluster. */
    readonly cluster?: string;
    readonly storageClass?: string;
    /** The destination already holds the VM's namespaced instancetype and preference. */
    readonly instancetypesPresent: boolean;
  };
  /** Only when the config gives one; otherwise the plan derives it. */
  readonly migrationID?: string;
  readonly attempt: number;
  readonly connectURL?: string;
  /** Per-volume overrides, by volume name (a map: `constructor` is a fine volume name). */
  readonly disks: ReadonlyMap<string, DiskOverride>;
  /** The post-sync hook's settings: the entry's own over the config's top-level ones. */
  readonly hook: HookSettings;
  /** Where the migration stands in its lifecycle; each step is one commit. */
  readonly phase: NonNullable<Migration['phase']>;
  /** With `phase: abort`: also remove the receiver VM and its disks from Git. */
  readonly removeReceiverOnAbort: boolean;
  /** The batch (1 first): `batch`, else its place in config order by `fleet.batchSize`, else 1. */
  readonly batch: number;
  /** Points at a field of this entry in the config file. */
  readonly locate: Locator;
}

export interface LoadedConfig {
  readonly file: string;
  readonly migrations: readonly MigrationEntry[];
  /** Source storage class -> where its disks go (a bare class name in the config becomes `{ storageClass }`). */
  readonly storageClassMap: ReadonlyMap<string, StorageMapping>;
  /** Settings per destination storage class. */
  readonly storageClasses: ReadonlyMap<string, StorageClassSettings>;
  /** Argo CD output, when the config asks for it. */
  readonly argocd?: ArgoCD;
  /** Flux output, when the config asks for it. */
  readonly flux?: Flux;
  /** Isolation and batches of the migrations. */
  readonly fleet: Fleet;
  /** Per-cluster settings, by cluster (folder) name. A map: `constructor` is a fine cluster name. */
  readonly clusters: ReadonlyMap<string, Cluster>;
  /** Points at a field of the config file. */
  readonly locate: Locator;
}

/** The name the user should see for a path: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** What is at `path`: its stat, nothing (absent), or why it cannot even be looked at (a path too long, a folder not searchable). */
function statInput(path: string): { stat?: Stats; fault?: NodeJS.ErrnoException } {
  try {
    return { stat: statSync(path, { throwIfNoEntry: false }) };
  } catch (error) {
    const fault = fileFault(error);
    if (!fault) throw error;
    return { fault };
  }
}

/**
 * The text of a file that `stat` says is a file, or undefined with the reason at `where`: too large to be a config
 * or manifest (a bound like the YAML ones: it is read whole), or unreadable. `where` is asked only for a fault: a
 * location in the config costs a positional parse of it, which a fleet of good files never needs.
 */
function readInput(path: string, stat: Stats, what: string, where: () => Location, bag: DiagnosticBag): string | undefined {
  if (stat.size > MAX_FILE_BYTES) {
    bag.error(`${what} is ${stat.size.toLocaleString('en')} bytes, more than ${MAX_FILE_BYTES.toLocaleString('en')} (kvmigrate's bound on the size of a file)`, where(), 'split the file');
    return undefined;
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const fault = fileFault(error);
    if (!fault) throw error;
    bag.error(`cannot read ${what}: ${fileFaultReason(fault)}`, where());
    return undefined;
  }
}

/**
 * Reads, validates and resolves a migrations config and the source manifests it names. Every fault found is put into
 * `bag` with its file, line and column; the result is undefined when there is any error. `text`, when given, is
 * checked as the config's new content (a change not yet written).
 */
export function loadConfig(configPath: string, bag: DiagnosticBag, text?: string): LoadedConfig | undefined {
  const file = abbreviate(displayPath(resolve(configPath)));
  let content = text;
  if (content === undefined) {
    const { stat, fault } = statInput(configPath);
    if (fault) {
      bag.error(`cannot read the config: ${fileFaultReason(fault)}`, { file });
      return undefined;
    }
    if (!stat?.isFile()) {
      bag.error(`config file not found`, { file }, 'pass --config FILE, set KVMIGRATE_CONFIG, or create migrations.yaml');
      return undefined;
    }
    content = readInput(configPath, stat, 'the config', () => ({ file }), bag);
    if (content === undefined) return undefined;
  }
  const yaml = new YamlFile(file, content);
  const documents = yaml.load(bag);
  if (!documents) return undefined;
  if (documents.length > 1) bag.error('the config must be a single YAML document', yaml.locator(1)([]));
  if (documents.length === 0) {
    bag.error('the config is empty', { file, line: 1, column: 1 }, 'list migrations under `migrations:`');
    return undefined;
  }
  return resolveConfig(documents[0], yaml.locator(0), file, dirname(resolve(configPath)), bag);
}

/**
 * Validates and resolves an already-parsed config (a MigrationSet's `config` object): as {@link loadConfig} does a
 * file's, with every fault located at `label` and named by its field; source manifests are relative to `baseDir`.
 */
export function loadConfigObject(data: unknown, baseDir: string, label: string, bag: DiagnosticBag): LoadedConfig | undefined {
  return resolveConfig(data, () => ({ file: label }), label, resolve(baseDir), bag);
}

function resolveConfig(data: unknown, locate: Locator, file: string, baseDir: string, bag: DiagnosticBag): LoadedConfig | undefined {
  // Precompiled from schema.json (validators.generated.js): no schema compilation at start-up.
  const validate = validateConfig;
  if (!validate(data)) {
    const errors = collapseAnyOf(validate.errors ?? []);
    for (const error of errors) {
      const finding = describeSchemaError(error, data);
      bag.error(finding.message, locate(finding.path, { key: finding.key }), finding.hint);
    }
    // The entries the schema found nothing wrong in are still read, so their own faults (a missing manifest, a VM
    // that cannot move) are reported in the same run instead of after the next fix.
    const migrations = (data as { migrations?: unknown }).migrations;
    const hookValid = !errors.some((e) => e.instancePath.startsWith('/hook'));
    const wholeList = errors.some((e) => (e.instancePath === '' && e.keyword !== 'additionalProperties') || e.instancePath === '/migrations');
    if (Array.isArray(migrations) && hookValid && !wholeList) {
      const faulty = new Set(errors.flatMap((e) => /^\/migrations\/(\d+)/.exec(e.instancePath)?.[1] ?? []).map(Number));
      resolveMigrations(data as MigrationsConfig, locate, baseDir, bag, faulty);
    }
    return undefined;
  }
  const migrations = resolveMigrations(data, locate, baseDir, bag);
  if (bag.errors.length > 0) return undefined;
  return {
    file,
    migrations,
    storageClassMap: new Map(Object.entries(data.storageClassMap ?? {}).map(([from, to]) => [from, typeof to === 'string' ? { storageClass: to } : to])),
    storageClasses: new Map(Object.entries(data.storageClasses ?? {})),
    argocd: data.argocd,
    flux: data.flux,
    fleet: data.fleet ?? {},
    clusters: new Map(Object.entries(data.clusters ?? {})),
    locate,
  };
}

function resolveMigrations(config: MigrationsConfig, locate: Locator, baseDir: string, bag: DiagnosticBag, skip: ReadonlySet<number> = new Set()): MigrationEntry[] {
  const manifests = new Map<string, ManifestFile | undefined>();
  const guard = new DuplicateGuard<number>();
  const entries: MigrationEntry[] = [];

  config.migrations.forEach((migration, index) => {
    if (skip.has(index)) return;
    const at: Locator = (path, options) => locate(['migrations', index, ...path], options);
    const name = migration.name ?? migration.vm;
    const sourceCluster = migration.source.cluster;
    const destinationCluster = migration.destination.cluster ?? sourceCluster;

    // The guards of lib/rules, each duplicate at its own field and pointing at the first.
    const fields: Record<DuplicateField, YamlPath> = { name: migration.name ? ['name'] : ['vm'], vm: ['vm'], destination: ['destination', 'namespace'], migrationID: ['migrationID'] };
    const identity = {
      name,
      vm: migration.vm,
      source: { cluster: sourceCluster ?? '', namespace: migration.source.namespace },
      destination: { cluster: destinationCluster ?? '', namespace: migration.destination.namespace },
      migrationID: migration.migrationID,
    };
    for (const duplicate of guard.claim(identity, index)) {
      const firstPath = ['migrations', duplicate.first, ...fields[duplicate.field]];
      // A parsed config (a MigrationSet's object) has no lines: its first is named by its field.
      const firstLine = locate(firstPath).line;
      bag.error(`${duplicate.message} (first at ${firstLine === undefined ? fieldLabel(firstPath) : `line ${firstLine}`})`, at(fields[duplicate.field]), duplicate.hint);
    }
    if (sourceCluster === destinationCluster && migration.source.namespace === migration.destination.namespace) {
      const refusal = sameNamespaceRefusal(migration.source.namespace);
      bag.error(
        `${fieldLabel(['migrations', index, 'destination'])}: ${refusal.message}`,
        at(['destination', 'namespace']),
        refusal.hint,
      );
    }

    // The schema's pattern cannot bound the port: 1..65535, and an IPv6 address only in brackets.
    const badAddress = migration.connectURL === undefined ? undefined : connectUrlRefusal(migration.connectURL);
    if (badAddress) bag.error(`${fieldLabel(['migrations', index, 'connectURL'])}: ${badAddress.message}`, at(['connectURL']));
    const manifestPath = resolve(baseDir, migration.source.manifest);
    if (!manifests.has(manifestPath)) {
      const shown = abbreviate(displayPath(manifestPath));
      const named = `source manifest "${abbreviate(migration.source.manifest)}"`;
      // One stat per manifest: a fleet has thousands.
      const { stat, fault } = statInput(manifestPath);
      const text = stat?.isFile() ? readInput(manifestPath, stat, `${named} (${shown})`, () => at(['source', 'manifest']), bag) : undefined;
      if (fault) {
        bag.error(`cannot read ${named} (${shown}): ${fileFaultReason(fault)}`, at(['source', 'manifest']));
      } else if (stat?.isDirectory()) {
        bag.error(`${named} is a directory (${shown}), not a file`, at(['source', 'manifest']), 'name the VM\'s YAML file in it, e.g. vms/web.yaml');
      } else if (!stat) {
        bag.error(`${named} does not exist (looked for ${shown})`, at(['source', 'manifest']));
      } else if (!stat.isFile()) {
        bag.error(`${named} (${shown}) is not a regular file (a device, a pipe or a socket)`, at(['source', 'manifest']));
      }
      manifests.set(manifestPath, text === undefined ? undefined : parseManifestFile(shown, manifestPath, text, bag));
    }
    const manifest = manifests.get(manifestPath);
    if (!manifest) return;
    const virtualMachine = findVirtualMachine(manifest, migration.vm, migration.source.namespace, () => at(['source', 'manifest']), bag);
    if (!virtualMachine) return;

    entries.push({
      name,
      vm: migration.vm,
      source: { namespace: migration.source.namespace, cluster: sourceCluster, virtualMachine, manifest, manage: migration.source.manage ?? false, allowRunStrategy: migration.source.allowRunStrategy ?? false },
      destination: {
        namespace: migration.destination.namespace,
        cluster: destinationCluster,
        storageClass: migration.destination.storageClass,
        instancetypesPresent: migration.destination.instancetypesPresent ?? false,
      },
      migrationID: migration.migrationID,
      attempt: migration.attempt ?? 1,
      connectURL: migration.connectURL,
      disks: new Map(Object.entries(migration.disks ?? {})),
      hook: hookSettings(config.hook, migration.hook, sourceCluster !== destinationCluster),
      phase: migration.phase ?? 'migrate',
      removeReceiverOnAbort: migration.abort?.removeReceiver ?? false,
      batch: migration.batch ?? (config.fleet?.batchSize ? Math.floor(index / config.fleet.batchSize) + 1 : 1),
      locate: at,
    });
  });
  return entries;
}

/**
 * A migration's hook settings: its own over the top-level ones, except that the top-level destinationKubeconfigSecret
 * (the other cluster's kubeconfig) only reaches migrations that cross clusters: a same-cluster hook mounting it would
 * create its receive migration in the wrong cluster.
 */
function hookSettings(top: HookSettings | undefined, own: HookSettings | undefined, crossCluster: boolean): HookSettings {
  const { destinationKubeconfigSecret, ...shared } = top ?? {};
  return { ...shared, ...(crossCluster && destinationKubeconfigSecret !== undefined ? { destinationKubeconfigSecret } : {}), ...own };
}

function findVirtualMachine(
  manifest: ManifestFile,
  vm: string,
  namespace: string,
  // A function: a location costs a parse of the config with positions, paid only when there is something to report.
  manifestField: () => Location,
  bag: DiagnosticBag,
): Located<VirtualMachineManifest> | undefined {
  const byName = manifest.virtualMachines.filter((v) => v.object.metadata?.name === vm);
  const candidates = byName.filter((v) => (v.object.metadata?.namespace ?? namespace) === namespace);
  if (candidates.length === 1) return candidates[0];
  if (candidates.length > 1) {
    bag.error(`${manifest.file} holds VirtualMachine "${vm}" more than once`, candidates[1]!.locate(['metadata', 'name']));
    return undefined;
  }
  const [only] = byName;
  if (only) {
    bag.error(
      `VirtualMachine "${vm}" in ${manifest.file} is in namespace "${only.object.metadata?.namespace}", but the config says the source namespace is "${namespace}"`,
      only.locate(['metadata', 'namespace']),
    );
    return undefined;
  }
  const found = manifest.virtualMachines.map((v) => v.object.metadata?.name ?? '(unnamed)');
  if (manifest.virtualMachines.length === 1) {
    bag.error(
      `${manifest.file} holds VirtualMachine "${found[0]}", not "${vm}"`,
      manifest.virtualMachines[0]!.locate(['metadata', 'name']),
      'the VM name must be identical in the config and the manifest',
    );
  } else {
    bag.error(
      `${manifest.file} holds no VirtualMachine "${vm}"${found.length > 0 ? ` (it holds: ${found.join(', ')})` : ' (it holds no kubevirt.io VirtualMachine)'}`,
      manifestField(),
    );
  }
  return undefined;
}
