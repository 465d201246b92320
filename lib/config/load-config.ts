import { readFileSync, statSync, type Stats } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { abbreviate, DiagnosticBag, fileFault, fileFaultReason, type Location } from '../diagnostics.ts';
import { collapseAnyOf, describeSchemaError, fieldLabel } from './schema-errors.ts';
import { parseManifestFile, type Located, type ManifestFile } from './source-manifest.ts';
import type { ArgoCD, Cluster, DiskOverride, HookSettings, Migration, MigrationsConfig, StorageClassSettings, StorageMapping } from './types.generated.ts';
import type { VirtualMachineManifest } from '../kubevirt/api.ts';
import { isHostPort } from '../kubernetes/validation.ts';
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
 * or manifest (a bound like the YAML ones: it is read whole), or unreadable.
 */
function readInput(path: string, stat: Stats, what: string, where: Location, bag: DiagnosticBag): string | undefined {
  if (stat.size > MAX_FILE_BYTES) {
    bag.error(`${what} is ${stat.size.toLocaleString('en')} bytes, more than ${MAX_FILE_BYTES.toLocaleString('en')} (kvmigrate's bound on the size of a file)`, where, 'split the file');
    return undefined;
  }
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const fault = fileFault(error);
    if (!fault) throw error;
    bag.error(`cannot read ${what}: ${fileFaultReason(fault)}`, where);
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
    content = readInput(configPath, stat, 'the config', { file }, bag);
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
  const data = documents[0];
  const locate = yaml.locator(0);
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
      resolveMigrations(data as MigrationsConfig, locate, dirname(resolve(configPath)), bag, faulty);
    }
    return undefined;
  }
  const migrations = resolveMigrations(data, locate, dirname(resolve(configPath)), bag);
  if (bag.errors.length > 0) return undefined;
  return {
    file,
    migrations,
    storageClassMap: new Map(Object.entries(data.storageClassMap ?? {}).map(([from, to]) => [from, typeof to === 'string' ? { storageClass: to } : to])),
    storageClasses: new Map(Object.entries(data.storageClasses ?? {})),
    argocd: data.argocd,
    clusters: new Map(Object.entries(data.clusters ?? {})),
    locate,
  };
}

function resolveMigrations(config: MigrationsConfig, locate: Locator, baseDir: string, bag: DiagnosticBag, skip: ReadonlySet<number> = new Set()): MigrationEntry[] {
  const manifests = new Map<string, ManifestFile | undefined>();
  const firstByName = new Map<string, number>();
  const firstByVm = new Map<string, number>();
  const firstById = new Map<string, number>();
  const firstByTarget = new Map<string, number>();
  const entries: MigrationEntry[] = [];

  config.migrations.forEach((migration, index) => {
    if (skip.has(index)) return;
    const at: Locator = (path, options) => locate(['migrations', index, ...path], options);
    const name = migration.name ?? migration.vm;
    const sourceCluster = migration.source.cluster;
    const destinationCluster = migration.destination.cluster ?? sourceCluster;

    const duplicate = (seen: Map<string, number>, key: string, path: YamlPath, what: string, hint: string): void => {
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, index);
        return;
      }
      const firstAt = locate(['migrations', first, ...path]);
      bag.error(`${what} (first at line ${firstAt.line})`, at(path), hint);
    };
    duplicate(firstByName, name, migration.name ? ['name'] : ['vm'], `duplicate migration name "${name}"`, 'give one of them its own `name:`');
    duplicate(
      firstByVm,
      `${sourceCluster ?? ''}/${migration.source.namespace}/${migration.vm}`,
      ['vm'],
      `VM "${migration.source.namespace}/${migration.vm}" is migrated twice`,
      'a VM moves once at a time: remove one entry, or raise `attempt` on the one to retry',
    );
    duplicate(
      firstByTarget,
      `${destinationCluster ?? ''}/${migration.destination.namespace}/${migration.vm}`,
      ['destination', 'namespace'],
      `two migrations move a VM named "${migration.vm}" into namespace "${migration.destination.namespace}"`,
      'a namespace holds one VM of a name: send one of them elsewhere',
    );
    if (migration.migrationID) {
      duplicate(firstById, migration.migrationID, ['migrationID'], `duplicate migrationID "${migration.migrationID}"`, 'every migration needs its own ID');
    }
    if (sourceCluster === destinationCluster && migration.source.namespace === migration.destination.namespace) {
      bag.error(
        `${fieldLabel(['migrations', index, 'destination'])}: source and destination are the same namespace${sourceCluster ? ` of cluster "${sourceCluster}"` : ''}`,
        at(['destination', 'namespace']),
        'a decentralized migration moves a VM to another namespace or cluster; use a regular live migration to change nodes',
      );
    }

    // The schema's pattern cannot bound the port: 1..65535, and an IPv6 address only in brackets.
    if (migration.connectURL !== undefined && !isHostPort(migration.connectURL)) {
      bag.error(`${fieldLabel(['migrations', index, 'connectURL'])}: "${migration.connectURL}" is not host:port, ip:port or [ipv6]:port with a port in 1-65535`, at(['connectURL']));
    }
    const manifestPath = resolve(baseDir, migration.source.manifest);
    if (!manifests.has(manifestPath)) {
      const shown = abbreviate(displayPath(manifestPath));
      const named = `source manifest "${abbreviate(migration.source.manifest)}"`;
      // One stat per manifest: a fleet has thousands.
      const { stat, fault } = statInput(manifestPath);
      const text = stat?.isFile() ? readInput(manifestPath, stat, `${named} (${shown})`, at(['source', 'manifest']), bag) : undefined;
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
      source: { namespace: migration.source.namespace, cluster: sourceCluster, virtualMachine, manifest, manage: migration.source.manage ?? false },
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
      hook: { ...config.hook, ...migration.hook },
      phase: migration.phase ?? 'migrate',
      removeReceiverOnAbort: migration.abort?.removeReceiver ?? false,
      locate: at,
    });
  });
  return entries;
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
