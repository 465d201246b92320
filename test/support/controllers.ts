// A replay of the controllers that act on kvmigrate's output, on the test API server: Argo CD's sync of one
// Application (gitops-engine), Flux's reconcile of one Kustomization (kustomize-controller), and KubeVirt's VM and
// migration controllers. Each rule names the upstream function it
// mirrors. It is a model: it keeps what decides whether a lifecycle works (waves, health gating by the shipped Lua,
// hooks and their delete policies, re-creation of missing objects, pruning, ignoreDifferences; VM run strategies,
// receivers, migrations and their garbage collection), and skips the rest (pods, nodes, retries, timing).
import { healthChecks } from '../../lib/argocd/health-checks.ts';
import type { HealthCheckExpression } from '../../lib/health/cel.ts';
import { fluxHealth, type KstatusResult } from './flux-health.ts';
import { runHookProcess } from './hook-process.ts';
import type { KubeApiServer, KubeObject } from './kube-api-server.ts';
import { argoResourceHealth, type Health } from './lua-health.ts';

type Json = Record<string, any>;

const FINAL = new Set(['Succeeded', 'Failed']);
const RUNNING_STRATEGIES = new Set(['Always', 'RerunOnFailure', 'Manual', 'Once']);

/** KubeVirt's virt-controller, reduced to what a decentralized live migration goes through. */
export class KubeVirtModel {
  /** Makes the next migration fail (as a refused connection would). */
  public failNext = false;
  /** Holds migrations before they run (to act while one is in flight). */
  public paused = false;

  public constructor(private readonly api: KubeApiServer) {}

  /** Reconciles until nothing changes. */
  public settle(): void {
    for (let round = 0; round < 50; round++) if (!this.reconcile()) return;
    throw new Error('KubeVirt model did not settle');
  }

  /** A restart of the VM's instance: its migrations go with it, then KubeVirt makes a new one (running strategy). */
  public restart(namespace: string, name: string): void {
    this.api.remove('VirtualMachineInstance', namespace, name);
    for (const migration of this.api.list('VirtualMachineInstanceMigration', namespace)) this.syncMigration(migration);
    this.settle();
  }

  /**
   * CDI's DataVolume controller for a blank, populator-backed disk: it waits in PendingPopulation for its consumer
   * (the migration's target pod), which this model never schedules (`shouldUseCDIPopulator`, populator path).
   */
  private syncDataVolume(dv: KubeObject): boolean {
    if (dv.status?.phase) return false;
    this.api.update('DataVolume', dv.metadata.namespace!, dv.metadata.name, (o) => (o.status = { phase: 'PendingPopulation', claimName: o.metadata.name }));
    return true;
  }

  /** How many instances of VM `name` run, across namespaces: more than one is a split brain. */
  public runningCopies(name: string): number {
    return this.api.list('VirtualMachineInstance').filter((vmi) => vmi.metadata.name === name && vmi.status?.phase === 'Running').length;
  }

  private reconcile(): boolean {
    let changed = false;
    for (const dv of this.api.list('DataVolume')) changed = this.syncDataVolume(dv) || changed;
    for (const vm of this.api.list('VirtualMachine')) changed = this.syncVm(vm) || changed;
    for (const migration of this.api.list('VirtualMachineInstanceMigration')) changed = this.syncMigration(migration) || changed;
    return changed;
  }

  private vmi(namespace: string, name: string, phase: string, extra: Json = {}): KubeObject {
    return { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name, namespace }, status: { phase, ...extra } };
  }

  private setVmStatus(vm: KubeObject, status: Json): boolean {
    if (JSON.stringify(vm.status ?? {}) === JSON.stringify(status)) return false;
    this.api.update('VirtualMachine', vm.metadata.namespace!, vm.metadata.name, (o) => (o.status = status));
    return true;
  }

  /** virt-controller `vm.go` `syncRunStrategy` and the printable status. */
  private syncVm(vm: KubeObject): boolean {
    const { namespace, name } = vm.metadata as { namespace: string; name: string };
    const strategy = vm.spec?.runStrategy;
    const vmi = this.api.get('VirtualMachineInstance', namespace, name);
    if (strategy === 'WaitAsReceiver') {
      // A receiver gets an instance that waits for the migration, and no pod.
      if (!vmi) {
        this.api.put(this.vmi(namespace, name, 'WaitingForSync'));
        return true;
      }
      return this.setVmStatus(vm, { created: true, ready: false, printableStatus: vmi.status?.phase === 'WaitingForSync' ? 'WaitingForReceiver' : 'Migrating' });
    }
    if (RUNNING_STRATEGIES.has(strategy)) {
      if (vmi?.status?.phase === 'Succeeded' && vmi.status.migrationState?.completed) {
        // A decentralized source whose migration completed: halted, not restarted.
        if (strategy !== 'Always') return false;
        this.api.update('VirtualMachine', namespace, name, (o) => (o.spec.runStrategy = 'Halted'));
        return true;
      }
      if (!vmi || FINAL.has(vmi.status?.phase)) {
        if (vmi) this.api.remove('VirtualMachineInstance', namespace, name);
        this.api.put(this.vmi(namespace, name, 'Running', { conditions: [{ type: 'Ready', status: 'True' }] }));
        return true;
      }
      return this.setVmStatus(vm, { created: true, ready: true, printableStatus: 'Running', conditions: [{ type: 'Ready', status: 'True' }] });
    }
    if (strategy === 'Halted') {
      if (vmi) {
        this.api.remove('VirtualMachineInstance', namespace, name);
        return true;
      }
      return this.setVmStatus(vm, { printableStatus: 'Stopped', conditions: [{ type: 'Ready', status: 'False', reason: 'VMINotExists' }] });
    }
    return false;
  }

  private setPhase(migration: KubeObject, phase: string, extra: Json = {}): void {
    this.api.update('VirtualMachineInstanceMigration', migration.metadata.namespace!, migration.metadata.name, (o) => (o.status = { ...o.status, phase, ...extra }));
  }

  /**
   * virt-controller `migration.go` `execute`: a migration whose VMI is gone is deleted; a receive and a sendTo
   * migration of one migrationID, the receiver parked and the source running, transfer the VM (the source's
   * instance ends Succeeded, the receiver's runs, the restore annotation becomes the receiver's runStrategy).
   */
  private syncMigration(migration: KubeObject): boolean {
    const { namespace, name } = migration.metadata as { namespace: string; name: string };
    if (!this.api.get('VirtualMachineInstance', namespace, migration.spec.vmiName)) {
      this.api.remove('VirtualMachineInstanceMigration', namespace, name);
      return true;
    }
    if (FINAL.has(migration.status?.phase)) return false;
    if (!migration.status?.phase) {
      this.setPhase(migration, migration.spec.receive ? 'WaitingForSync' : 'Synchronizing');
      return true;
    }
    if (!migration.spec.sendTo) return false;
    const id = migration.spec.sendTo.migrationID;
    const partner = this.api.list('VirtualMachineInstanceMigration').find((m) => m.spec?.receive?.migrationID === id);
    if (!partner) {
      // Since v1.7 deleting either side cancels both: the synchronization controller carries the receive side's
      // cancel to the source (synchronization-controller.go, target-initiated cancel), which ends Failed.
      this.setPhase(migration, 'Failed', { migrationState: { failed: true, abortStatus: 'Succeeded', failureReason: 'migration canceled' } });
      return true;
    }
    if (this.paused) return false;
    const receive = FINAL.has(partner.status?.phase) ? undefined : partner;
    if (!receive) return false;
    const receiverVmi = this.api.get('VirtualMachineInstance', receive.metadata.namespace!, receive.spec.vmiName);
    const sourceVmi = this.api.get('VirtualMachineInstance', namespace, migration.spec.vmiName);
    if (receiverVmi?.status?.phase !== 'WaitingForSync' || sourceVmi?.status?.phase !== 'Running') return false;
    if (this.failNext) {
      this.failNext = false;
      for (const side of [receive, migration]) this.setPhase(side, 'Failed', { migrationState: { failed: true, failureReason: 'connection refused' } });
      return true;
    }
    this.api.update('VirtualMachineInstance', receiverVmi.metadata.namespace!, receiverVmi.metadata.name, (o) => (o.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }));
    this.api.update('VirtualMachineInstance', namespace, sourceVmi.metadata.name, (o) => (o.status = { phase: 'Succeeded', migrationState: { completed: true } }));
    this.api.update('VirtualMachine', receive.metadata.namespace!, receive.spec.vmiName, (o) => (o.spec.runStrategy = o.metadata.annotations['kubevirt.io/restore-run-strategy']));
    for (const side of [receive, migration]) this.setPhase(side, 'Succeeded');
    return true;
  }
}

/**
 * What a real cluster refuses of an apply: KubeVirt's VM and migration webhooks, and updates of immutable specs (CDI
 * rejects any update of a DataVolume's spec, KubeVirt of a migration's, the Job controller of a Job's template).
 */
function admission(api: KubeApiServer, target: Json, live: KubeObject | undefined): string | undefined {
  if (target.kind === 'VirtualMachine' && target.spec?.running !== undefined && target.spec?.runStrategy !== undefined) {
    return 'admission webhook "virtualmachine-validator.kubevirt.io" denied the request: Running and RunStrategy are mutually exclusive';
  }
  if (live && IMMUTABLE_SPECS.has(target.kind) && JSON.stringify(live.spec) !== JSON.stringify(target.spec)) {
    return `${target.kind} ${target.metadata.name}: spec is immutable`;
  }
  if (!live && target.kind === 'VirtualMachineInstanceMigration') {
    const vmi = api.get('VirtualMachineInstance', target.metadata.namespace, target.spec.vmiName);
    if (!vmi || FINAL.has(vmi.status?.phase)) return `admission webhook "migration-create-validator.kubevirt.io" denied the request: the VMI "${target.spec.vmiName}" does not exist or is final`;
  }
  return undefined;
}

const IMMUTABLE_SPECS = new Set(['DataVolume', 'VirtualMachineInstanceMigration', 'Job']);

/** The hook Job's arguments, with the replay's short clocks. */
export const hookArgs = (job: Json): string[] => [...job.spec.template.spec.containers[0].args, '--poll-interval', '0.05', '--timeout', '10'];

/** The Job controller running the hook Job's pod (by default the bundled hook program) and recording how it ended. */
async function runJob(api: KubeApiServer, job: Json, kubeconfig: string, runPod?: (job: Json) => Promise<number | null>): Promise<number | null> {
  const code = runPod ? await runPod(job) : (await runHookProcess(hookArgs(job), kubeconfig)).code;
  if (api.get('Job', job.metadata.namespace, job.metadata.name)) {
    api.update('Job', job.metadata.namespace, job.metadata.name, (o) => (o.status = code === 0 ? { succeeded: 1 } : { failed: 1 }));
  }
  return code;
}

export type SyncPhase = 'Succeeded' | 'Failed' | 'Stuck';

export interface SyncResult {
  readonly phase: SyncPhase;
  readonly message: string;
  /** The exit codes of the hooks that ran, by Job name. */
  readonly hooks: Readonly<Record<string, number | null>>;
  /** What was applied or run, in order: `<kind> <wave>`. */
  readonly applied: readonly string[];
}

const HEALTH_ORDER = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];
/** gitops-engine `sync_tasks.go` kind order, for the kinds kvmigrate emits. */
const KIND_ORDER = ['ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding', 'Job'];
const PHASES = ['PreSync', 'Sync', 'PostSync'];

const wave = (o: Json) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);
const hookPhase = (o: Json): string | undefined => o.metadata.annotations?.['argocd.argoproj.io/hook'];
const keyOf = (o: Json) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Argo CD's sync of one Application and its health, reduced to what decides a migration's lifecycle. */
export class ArgoApplication {
  private readonly scripts: ReadonlyMap<string, string>;

  public constructor(
    private readonly api: KubeApiServer,
    private readonly kubevirt: KubeVirtModel,
    private readonly options: {
      readonly name: string;
      readonly kubeconfig: string;
      readonly ignoreDifferences: readonly Json[];
      /** Runs a hook Job's pod and gives its exit code: by default the bundled hook as its own process. */
      readonly runJobPod?: (job: Json) => Promise<number | null>;
      /** The custom health checks of Argo CD's argocd-cm, by kind: by default kvmigrate's four. */
      readonly healthScripts?: ReadonlyMap<string, string>;
    },
  ) {
    this.scripts = options.healthScripts ?? new Map(healthChecks().map((c) => [c.kind, c.script]));
  }

  /** The health of a live object as Argo CD's controller gives it (`health.GetResourceHealth`, our Lua scripts). */
  public health(object: Json | undefined): Health {
    if (!object) return { status: 'Missing' };
    const script = this.scripts.get(object.kind);
    return script ? argoResourceHealth(script, object) : { status: 'Healthy' };
  }

  /** The Application's health: the worst of its resources' (`controller/health.go` setApplicationHealth). */
  public appHealth(desired: readonly Json[]): string {
    const statuses = desired.filter((o) => !hookPhase(o)).map((o) => this.health(this.live(o)).status);
    return statuses.reduce((worst, s) => (HEALTH_ORDER.indexOf(s) > HEALTH_ORDER.indexOf(worst) ? s : worst), 'Healthy');
  }

  /** Synced: every desired object is live and equal to Git but for the ignored fields. */
  public synced(desired: readonly Json[]): boolean {
    return desired.filter((o) => !hookPhase(o)).every((o) => {
      const live = this.live(o);
      return live !== undefined && JSON.stringify(this.normalize(o, live).spec ?? o.data) === JSON.stringify(live.spec ?? live.data);
    });
  }

  private live(o: Json): KubeObject | undefined {
    return this.api.get(o.kind, o.metadata.namespace ?? '', o.metadata.name);
  }

  /** `ignoreDifferences` with `RespectIgnoreDifferences=true`: the ignored fields keep their live values. */
  private normalize(desired: Json, live: KubeObject | undefined): Json {
    const target = structuredClone(desired);
    if (!live) return target;
    for (const rule of this.options.ignoreDifferences) {
      const matches = rule.kind === desired.kind && (!rule.name || rule.name === desired.metadata.name) && (!rule.namespace || rule.namespace === desired.metadata.namespace);
      if (!matches) continue;
      keepLiveValues(target, live, rule.jsonPointers as string[]);
    }
    return target;
  }

  /** Applies one object as `kubectl apply` would, with the admission a real cluster has. */
  private apply(desired: Json): string | undefined {
    const live = this.live(desired);
    const target = this.normalize(desired, live);
    const refused = admission(this.api, target, live);
    if (refused) return refused;
    const labels = { ...target.metadata.labels, 'app.kubernetes.io/instance': this.options.name };
    this.api.put({ ...target, metadata: { ...(live?.metadata ?? {}), ...target.metadata, labels }, ...(live?.status ? { status: live.status } : {}) } as KubeObject);
    return undefined;
  }

  /** Runs a PostSync hook Job: the bundled hook program, with the Job's own arguments. */
  private async runHook(job: Json): Promise<number | null> {
    // BeforeHookCreation: a hook of that name from an earlier sync is deleted first.
    if (this.live(job)) this.api.remove('Job', job.metadata.namespace, job.metadata.name);
    this.api.put({ ...job, metadata: { ...job.metadata } } as KubeObject);
    const code = await runJob(this.api, job, this.options.kubeconfig, this.options.runJobPod);
    const succeeded = code === 0;
    const policy = String(job.metadata.annotations?.['argocd.argoproj.io/hook-delete-policy'] ?? 'BeforeHookCreation');
    if ((succeeded && policy.includes('HookSucceeded')) || (!succeeded && policy.includes('HookFailed'))) this.api.remove('Job', job.metadata.namespace, job.metadata.name);
    this.kubevirt.settle();
    return code;
  }

  /**
   * One sync (gitops-engine `sync_context.go` `Sync`): phases, then waves, in order; every desired object is applied
   * (a missing one is created again); with waves or hooks a wave is done only when each of its objects is Healthy by
   * the Lua checks, Degraded fails the sync, anything else waits (here: a bounded wait, reported as Stuck); PostSync
   * hooks run after every Sync-phase wave; then objects of this Application no longer in Git are pruned unless
   * `Prune=false`.
   */
  public async sync(desired: readonly Json[]): Promise<SyncResult> {
    const hooks: Record<string, number | null> = {};
    const applied: string[] = [];
    const order = (a: Json, b: Json) => wave(a) - wave(b) || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.metadata.name.localeCompare(b.metadata.name);
    for (const phase of PHASES) {
      const inPhase = desired.filter((o) => (hookPhase(o) ?? 'Sync') === phase).sort(order);
      for (const w of [...new Set(inPhase.map(wave))]) {
        for (const object of inPhase.filter((o) => wave(o) === w)) {
          applied.push(`${object.kind} ${hookPhase(object) ?? w}`);
          if (hookPhase(object)) {
            hooks[object.metadata.name] = await this.runHook(object);
            if (hooks[object.metadata.name] !== 0) return { phase: 'Failed', message: `hook ${object.metadata.name} failed`, hooks, applied };
            continue;
          }
          const refused = this.apply(object);
          if (refused) return { phase: 'Failed', message: refused, hooks, applied };
        }
        const waiting = await this.waitHealthy(inPhase.filter((o) => wave(o) === w && !hookPhase(o)));
        if (waiting) return { ...waiting, hooks, applied };
      }
    }
    this.prune(desired);
    return { phase: 'Succeeded', message: 'successfully synced', hooks, applied };
  }

  private async waitHealthy(objects: readonly Json[]): Promise<Omit<SyncResult, 'hooks' | 'applied'> | undefined> {
    for (let round = 0; round < 20; round++) {
      this.kubevirt.settle();
      const health = objects.map((o) => ({ o, h: this.health(this.live(o)) }));
      const degraded = health.find(({ h }) => h.status === 'Degraded');
      if (degraded) return { phase: 'Failed', message: `${keyOf(degraded.o)} is Degraded: ${degraded.h.message}` };
      if (health.every(({ h }) => h.status === 'Healthy')) return undefined;
    }
    const pending = objects.map((o) => `${keyOf(o)} ${this.health(this.live(o)).status}`).filter((s) => !s.endsWith('Healthy'));
    return { phase: 'Stuck', message: `waiting for ${pending.join(', ')}` };
  }

  /** gitops-engine pruning: live objects tracked by this Application that Git no longer holds, unless `Prune=false`. */
  private prune(desired: readonly Json[]): void {
    const wanted = new Set(desired.map(keyOf));
    for (const kind of ['ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding', 'DataVolume', 'VirtualMachine', 'VirtualMachineInstanceMigration']) {
      for (const live of this.api.list(kind)) {
        if (live.metadata.labels?.['app.kubernetes.io/instance'] !== this.options.name || wanted.has(keyOf(live))) continue;
        if (String(live.metadata.annotations?.['argocd.argoproj.io/sync-options'] ?? '').includes('Prune=false')) continue;
        this.api.remove(kind, live.metadata.namespace ?? '', live.metadata.name);
      }
    }
  }
}

/**
 * kustomize-controller `checkDependencies`: a Kustomization is reconciled only once each Kustomization it `dependsOn`
 * is Ready (its revision check always holds here: one commit of one source). The names of those not Ready yet.
 */
export function notReadyDependencies(spec: Json, ready: ReadonlyMap<string, boolean>): string[] {
  return ((spec.dependsOn ?? []) as Json[]).map((dependency) => dependency.name as string).filter((name) => ready.get(name) !== true);
}

export interface ReconcileResult {
  /** The Kustomization's Ready condition after the reconcile. */
  readonly ready: boolean;
  readonly message: string;
  /** The exit codes of the Jobs that ran during this reconcile, by name. */
  readonly jobs: Readonly<Record<string, number | null>>;
  /** Objects created by this reconcile, `<kind> <namespace>/<name>`. */
  readonly created: readonly string[];
}

const PRUNE = 'kustomize.toolkit.fluxcd.io/prune';
const FORCE = 'kustomize.toolkit.fluxcd.io/force';
const SSA = 'kustomize.toolkit.fluxcd.io/ssa';
/** fluxcd/pkg ssa `SortableUnstructureds`: the order kinds are applied in, for the kinds kvmigrate emits. */
const APPLY_ORDER = ['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'DataVolume', 'VirtualMachine', 'Job'];
const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');

/**
 * kustomize-controller's reconcile of one Kustomization (`KustomizationReconciler.reconcile`), reduced to what decides
 * a migration's lifecycle: apply every object with server-side apply (`apply`, fluxcd/pkg ssa `ApplyAllStaged`), prune
 * what left Git (`prune`), then wait until every object is Current (`checkHealth`, with the `healthCheckExprs`). It
 * keeps its inventory across reconciles, as the Kustomization's status does. Run it once per interval.
 */
export class FluxKustomization {
  private inventory = new Set<string>();

  /** `runJobPod` runs a Job's pod and gives its exit code: by default the bundled hook as its own process. */
  public constructor(
    private readonly api: KubeApiServer,
    private readonly kubevirt: KubeVirtModel,
    private readonly kubeconfig: string,
    private readonly runJobPod?: (job: Json) => Promise<number | null>,
  ) {}

  private live(o: Json): KubeObject | undefined {
    return this.api.get(o.kind, o.metadata.namespace ?? '', o.metadata.name);
  }

  /**
   * fluxcd/pkg ssa `ResourceManager.Apply`: an object annotated `ssa: IfNotPresent` that exists is skipped
   * (`shouldSkipApply`); a field an ignore rule names keeps its in-cluster value when it drifted (`computeDriftedPaths`,
   * driftAdopt: Flux is the only Apply manager here); a refused update of an immutable field deletes and re-creates the
   * object when it is annotated `force: Enabled` (`shouldForceApply`), and fails the apply otherwise.
   */
  private apply(desired: Json, ignore: readonly Json[]): { refused?: string; created: boolean } {
    let live = this.live(desired);
    if (live && desired.metadata.annotations?.[SSA] === 'IfNotPresent') return { created: false };
    const target = structuredClone(desired);
    if (live) {
      for (const rule of ignore) {
        const t = rule.target ?? {};
        const matches = (!t.kind || t.kind === desired.kind) && (!t.name || t.name === desired.metadata.name) && (!t.namespace || t.namespace === desired.metadata.namespace);
        if (!matches) continue;
        keepLiveValues(target, live, rule.paths as string[]);
      }
    }
    let refused = admission(this.api, target, live);
    if (refused && live && IMMUTABLE_SPECS.has(target.kind) && (desired.metadata.annotations?.[FORCE] === 'Enabled' || live.metadata.annotations?.[FORCE] === 'Enabled')) {
      this.api.remove(target.kind, target.metadata.namespace, target.metadata.name);
      live = undefined;
      refused = admission(this.api, target, live);
    }
    if (refused) return { refused, created: false };
    this.api.put({ ...target, metadata: { ...(live?.metadata ?? {}), ...target.metadata }, ...(live?.status ? { status: live.status } : {}) } as KubeObject);
    return { created: !live };
  }

  /** kstatus for the kinds kvmigrate emits: the CEL entries for custom kinds, Job conditions, the rest Current. */
  private status(o: Json, exprs: readonly HealthCheckExpression[]): KstatusResult | 'NotFound' {
    const live = this.live(o);
    if (!live) return 'NotFound';
    const entry = exprs.find((e) => groupOf(e.apiVersion) === groupOf(o.apiVersion) && e.kind === o.kind);
    if (entry) return fluxHealth(entry, live);
    if (o.kind === 'Job') return live.status?.succeeded ? 'Current' : live.status?.failed ? 'Failed' : 'InProgress';
    return 'Current';
  }

  /** One reconcile of the folder as Git has it now, with the Kustomization's spec (ignore, healthCheckExprs). */
  public async reconcile(desired: readonly Json[], spec: Json): Promise<ReconcileResult> {
    const jobs: Record<string, number | null> = {};
    const created: string[] = [];
    const running: Promise<unknown>[] = [];
    const ordered = [...desired].sort((a, b) => APPLY_ORDER.indexOf(a.kind) - APPLY_ORDER.indexOf(b.kind) || keyOf(a).localeCompare(keyOf(b)));
    for (const object of ordered) {
      const { refused, created: isNew } = this.apply(object, spec.ignore ?? []);
      if (refused) return { ready: false, message: `apply failed: ${refused}`, jobs, created };
      if (!isNew) continue;
      created.push(`${object.kind} ${object.metadata.namespace}/${object.metadata.name}`);
      // The Job controller starts the new Job's pod at once: no hook phase orders it after the rest.
      if (object.kind === 'Job') running.push(runJob(this.api, object, this.kubeconfig, this.runJobPod).then((code) => (jobs[object.metadata.name] = code)));
    }
    this.prune(desired);
    this.inventory = new Set(desired.map(keyOf));
    // KubeVirt and CDI go on while the Jobs run.
    let finished = false;
    const all = Promise.all(running).then(() => (finished = true));
    while (!finished) {
      this.kubevirt.settle();
      await Promise.race([all, new Promise((r) => setTimeout(r, 20))]);
    }
    return this.wait(desired, spec.healthCheckExprs ?? [], jobs, created);
  }

  /**
   * `checkHealth` with fluxcd/pkg ssa `WaitForSetWithContext`: done when every object is Current, or when only Current
   * and Failed are left (a Failed one will not recover); otherwise it waits until the timeout (here: bounded rounds).
   */
  private wait(desired: readonly Json[], exprs: readonly HealthCheckExpression[], jobs: Record<string, number | null>, created: string[]): ReconcileResult {
    let statuses: [Json, string][] = [];
    for (let round = 0; round < 20; round++) {
      this.kubevirt.settle();
      statuses = desired.map((o) => [o, this.status(o, exprs)]);
      if (statuses.every(([, s]) => s === 'Current' || s === 'Failed')) break;
    }
    const bad = statuses.filter(([, s]) => s !== 'Current').map(([o, s]) => `${keyOf(o)} status: '${s}'`);
    return { ready: bad.length === 0, message: bad.length === 0 ? 'Applied revision' : `health check failed: ${bad.join(', ')}`, jobs, created };
  }

  /** `prune`: objects of the last inventory that Git no longer holds, unless the live object says `prune: Disabled`. */
  private prune(desired: readonly Json[]): void {
    const wanted = new Set(desired.map(keyOf));
    for (const key of this.inventory) {
      if (wanted.has(key)) continue;
      const [kind, namespace, name] = key.split('/') as [string, string, string];
      const live = this.api.get(kind, namespace, name);
      if (!live || live.metadata.annotations?.[PRUNE] === 'Disabled') continue;
      this.api.remove(kind, namespace, name);
    }
  }
}

/** The fields at `pointers` (JSON pointers) take their live values in `target`: Argo CD's ignoreDifferences with
 * RespectIgnoreDifferences, and Flux's `spec.ignore` (both keep what the cluster holds there). */
function keepLiveValues(target: Json, live: KubeObject, pointers: readonly string[]): void {
  for (const pointer of pointers) {
    const path = pointer.split('/').slice(1);
    const last = path.pop()!;
    const from = path.reduce((node: Json | undefined, key) => node?.[key], live);
    const to = path.reduce((node: Json | undefined, key) => node?.[key], target);
    if (from && to) {
      if (from[last] === undefined) delete to[last];
      else to[last] = from[last];
    }
  }
}
