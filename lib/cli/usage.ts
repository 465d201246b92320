// What each command takes and says about itself: options and help, apart from the code behind the commands, so
// that `kvmigrate <command> --help` and argument errors answer without loading a compiler or a Kubernetes client.
import type { OptionsConfig } from './command.ts';
import { CLUSTER_FLAGS, CLUSTER_FLAGS_HELP, CONFIG_OPTION, OUTPUT_OPTION } from './common-options.ts';

/** A command's options (besides `--help`) and its help text. */
export interface CommandUsage {
  readonly options: OptionsConfig;
  readonly help: string;
  /**
   * Added to the exit code of every failure, for a command whose exit code 1 means something else: `diff`, where 1
   * means differences found and any failure exits higher, as kubectl diff's `CheckDiffErr` adds one to its codes.
   * @default 0
   */
  readonly failureExitShift?: number;
}

const SYNTH_HELP = `Usage: kvmigrate synth [--config FILE] [--out DIR|-] [--check] [-o text|json]

Compiles migrations.yaml into ordered manifests: one folder per cluster under the out dir, one
multi-document YAML file per migration. The out dir is replaced only when synthesis succeeds.

  --check    writes nothing: compares the out dir with what the config compiles to, prints a unified diff of
             each differing file on stdout and exits 1 when they differ (the CI gate of a GitOps repository)
  --out -    writes nothing: prints every file as one YAML stream on stdout, each under "# Source: <folder>/<file>",
             as --out dist would write them (every cluster folder: pipe one cluster's objects to kubectl)

Options:
  -c, --config FILE   the migrations config (default: $KVMIGRATE_CONFIG, else migrations.yaml)
      --out DIR       output folder (default: dist), or - for stdout
      --check         compare the out dir instead of writing it
  -o, --output FMT    summary format on stdout: text (default) or json (warnings in it, not on stderr)
  -h, --help          show this help

Exit codes: 0 written (with --check: the out dir is current), 1 errors in the config or manifests (nothing
written; with --check: the out dir differs), 2 bad usage.
`;

const DIFF_HELP = `Usage: kvmigrate diff [MIGRATION] [--namespace NS] [--cluster NAME] [--config FILE] [--out DIR] [-o text|json] [options]

Shows what the next sync would change in the clusters, object by object, like kubectl diff: compiles the config in
memory as \`kvmigrate synth\` does (writes nothing), then for each object of each cluster folder reads the live object
with that cluster's credentials and asks its API server for a server-side apply dry run (dryRun=All, force, as the
engine's field manager: kustomize-controller with flux:, else argocd-controller). The answer is compared with the
live object without managedFields, resourceVersion, generation, and the fields the engine ignores (the runStrategy
KubeVirt rewrites on receivers and migrating source VMs). The objects of _argocd/ and _flux/ are read in the
default cluster, and only when no migration is filtered.

  create     the object does not exist yet
  update     the apply would change it; a unified diff (YAML, sorted keys) of the live object and the result follows
  unchanged  the apply would leave it as it is
  hook       an Argo CD hook (the PostSync Job): each sync runs it anew, so it is not compared (with flux:,
             which has no hooks, the Job is compared like any object)

The config's warnings and a count of each change go to stderr.

Options:
  -c, --config FILE              the migrations config (default: $KVMIGRATE_CONFIG, else migrations.yaml)
      --out DIR                  the out dir the config is compiled for, as synth --out (default: dist)
      --migration NAME           only this migration's objects (also: the MIGRATION argument)
      --namespace NS             only migrations with this namespace at either end
      --cluster NAME             only migrations with this cluster (folder) at either end
${CLUSTER_FLAGS_HELP}
  -o, --output FMT               text (default) or json: { differences, fieldManager, objects: [{ change, folder,
                                 cluster, migration, apiVersion, kind, namespace, name, diff }], warnings }
  -h, --help                     show this help

Exit codes (kubectl diff's): 0 nothing would change, 1 something would be created or updated, 2 errors in the
config or a cluster that cannot be read (unreachable: the message names the cluster and context), 3 bad usage.
`;

const ARGOCD_HEALTH_HELP = `Usage: kvmigrate argocd-health [--namespace NS] [--format configmap|operator] [--applications] [-o yaml|json]

Prints the Argo CD health checks that let kvmigrate's sync waves finish: DataVolume, VirtualMachine,
VirtualMachineInstance and VirtualMachineInstanceMigration. They replace Argo CD's bundled checks for these kinds
instance-wide, keeping the bundled behaviour for every state a migration does not create.

  --format configmap   an argocd-cm ConfigMap fragment (default); apply it with a field manager of its own, so it
                       adds its keys and leaves the rest of argocd-cm (and Argo CD's own install) alone:
                         kvmigrate argocd-health | kubectl apply --server-side --field-manager=kvmigrate -f -
  --format operator    a JSON patch appending to the argocd-operator's ArgoCD spec.resourceHealthChecks:
                         kubectl patch argocd argocd -n argocd --type json --patch "$(kvmigrate argocd-health --format operator -o json)"
                       (--create-list when the ArgoCD resource has no spec.resourceHealthChecks yet)

Options:
      --namespace NS   Argo CD's namespace (default argocd)
      --create-list    with --format operator: create spec.resourceHealthChecks first
      --applications   add the check of argoproj.io/Application (Argo CD has none since 1.8), which a parent
                       Application needs to sync a fleet's batches as sync waves; it makes every parent Application
                       of the instance follow its children's health
  -o, --output FMT     yaml (default) or json
  -h, --help           show this help
`;

const HOOK_HELP = `Usage: kvmigrate hook send --source-namespace NS --vmi NAME --migration-id ID --name NAME
                          --destination-namespace NS --receive-name NAME [options]

Drives a decentralized live migration from the clusters' state: once the receiver VM is parked (its VMI
WaitingForSync) it creates the receive VirtualMachineInstanceMigration, reads the destination's synchronization
controller address at run time and creates the sendTo migration. Runs as an Argo CD PostSync hook on every sync, so
it creates nothing a second time: a receiver that has arrived, a Succeeded receive migration, or migrations already
there of that name and ID are success; a Failed one is a failure.

Before it creates the receive migration it checks the source VMI as KubeVirt's admission will: it exists, runs, is
live-migratable and is in no other unfinished migration. When the attempt cannot go on (the sendTo refused, no
address in time, a side Failed, a sendTo stuck Synchronizing) it deletes the receive migration it created (its name,
label and migrationID), which cancels both sides, so a retry starts clean.

Addresses, first found: --connect-url; with --published-address-only, the receive migration's
status.synchronizationAddresses alone; otherwise the destination KubeVirt CR's status.synchronizationAddresses, the
receive migration's copy, and the Lease ${'virt-synchronization-controller'} holder's pod IPs (its migration network's
when it has one) with KubeVirt.spec.synchronizationPort (default 9185). Of several, the first that accepts a TCP
connect from the hook (else the first listed).

Options:
      --source-namespace NS         namespace of the source VM (where the sendTo migration is created)
      --vmi NAME                    the VM instance to move
      --migration-id ID             the migrationID shared with the receive migration
      --name NAME                   name of the sendTo migration
      --destination-namespace NS    namespace of the receiver VM and the receive migration
      --receive-name NAME           name of the receive migration, created once the receiver is parked
      --kubevirt-namespace NS       KubeVirt's namespace at the destination (default: kubevirt, then openshift-cnv)
      --connect-url HOST:PORT       a static address; skips discovery
      --published-address-only      only the address KubeVirt publishes on the receive migration (no access to
                                    KubeVirt's namespace needed; without it, also the KubeVirt CR and the Lease)
      --destination-kubeconfig F    kubeconfig for the destination cluster (default: the source's credentials)
      --timeout SECONDS             how long to wait for the receive side and the address (default 600)
      --wait                        follow both migrations and exit 0 only when the migration succeeded
      --migration-timeout SECONDS   with --wait: how long to follow the transfer once the sendTo migration exists
                                    (default 3600)
      --synchronizing-timeout SECONDS
                                    with --wait: fail (and delete the receive migration) when the sendTo migration
                                    stays Synchronizing this long: it never reached the receiver (default 300)
      --address-family IPv4|IPv6    only published addresses of this family (default: any)
      --no-address-probe            take the first published address without trying a TCP connect to each
      --poll-interval SECONDS       between polls; transient API errors back off from it (default 2)
      --request-timeout SECONDS     per API request (default 30)
      --log-format text|json        log lines on stderr (default text)
  -h, --help                        show this help

Credentials: $KUBECONFIG, ~/.kube/config, or the in-cluster service account.
Exit codes: 0 created (or already there / already succeeded), 1 failed or timed out, 2 bad usage.
`;

const HOOK_KUBECONFIG_HELP = `Usage: kvmigrate hook-kubeconfig <migration> [--duration DURATION] [--create] [-o yaml|json] [cluster options]

For a cross-cluster migration: makes the Secret its hook reads the destination kubeconfig from
(hook.destinationKubeconfigSecret, key kubeconfig, in the source namespace). The kubeconfig holds a bound token of
the migration's destination ServiceAccount <vm>-kvmigrate-hook (one per migration, kept across retries; synthesized
into the destination folder), requested with TokenRequest for DURATION, and the destination API server and CA from
your kubeconfig's destination context. Prints the Secret, or with --create writes it to the source cluster.

Options:
  -c, --config FILE              the migrations config (default: $KVMIGRATE_CONFIG, else migrations.yaml)
      --duration DURATION        token lifetime: 3600, 90m, 24h, 7d (default 24h; at least 10 minutes)
      --create                   create (or replace) the Secret on the source cluster instead of printing it
  -o, --output FMT               yaml (default) or json
${CLUSTER_FLAGS_HELP}
  -h, --help                     show this help

Exit codes: 0 done, 1 the cluster refused or the migration needs no kubeconfig, 2 bad usage.
`;

const PREFLIGHT_HELP = `Usage: kvmigrate preflight [--config FILE] [--migration NAME] [-o text|json] [options]

Checks both ends of every migration in phase migrate before you commit it: the DecentralizedLiveMigration feature
gate and KubeVirt versions, the synchronization controller, the source VM and its VMI, the destination namespace,
VM name, storage classes and referenced Secrets/ConfigMaps/networks, MAC addresses, two schedulable nodes (same
cluster) or exchanged CA bundles (cross-cluster), and your permissions. Each check passes, warns or fails with a fix.
Then, per destination cluster and batch, how the fleet queues behind KubeVirt's live migration limits: rounds, their
time where it can be told, and a warning when hooks that wait (hook.wait) can time out still queued.
A migration's checks give up on an API server that does not answer after twice --request-timeout (60s by default).

Options:
  -c, --config FILE              the migrations config (default: $KVMIGRATE_CONFIG, else migrations.yaml)
      --migration NAME           check only this migration
${CLUSTER_FLAGS_HELP}
  -o, --output FMT               text (default) or json
  -h, --help                     show this help

Exit codes: 0 nothing fails (warnings allowed), 1 a check fails or the config is wrong, 2 bad usage.
`;

const PULL_HELP = `Usage: kvmigrate pull <namespace>/<vm> [--out DIR] [--add --to NAMESPACE] [--dry-run] [options]

Reads a live VirtualMachine and the claims behind its disks, and writes a clean source manifest: the VM as the
cluster has it (MACs, firmware UUID and serial, machine type kept), plus the facts of its disks (storage class,
volume mode, size: the claim's request, or its capacity for Block volumes); no status, no server-managed fields,
stable key order. With --add, also appends a migration entry to migrations.yaml (comments kept). It never writes
over the config, and replaces an existing <DIR>/<vm>.yaml only when kvmigrate pulled it (its first line says so).

Options:
      --out DIR                  folder of the manifest, <DIR>/<vm>.yaml (default: vms)
      --force                    replace <DIR>/<vm>.yaml even when kvmigrate did not write it
      --add                      append a migration entry to the config
      --to NAMESPACE             with --add: the destination namespace
      --source-cluster NAME      with --add: the source cluster (also selects its kubeContext)
      --destination-cluster NAME
                                 with --add: the destination cluster
      --dry-run                  print the manifest (and with --add the config change) as unified diffs; write nothing
  -c, --config FILE              the migrations config (default: $KVMIGRATE_CONFIG, else migrations.yaml)
${CLUSTER_FLAGS_HELP}
  -o, --output FMT               text (default) or json
  -h, --help                     show this help
`;

const STATUS_HELP = `Usage: kvmigrate status [MIGRATION] [--namespace NS] [--cluster NAME] [--watch] [--prometheus URL] [-o text|json] [options]

For each migration: the source VM and VMI, the receiver VM and VMI, both migrations' phases, the migration mode,
start, elapsed time, and the failure reason and conditions. NotSynced: nothing of it exists at the destination yet
(no receiver VM, no migrations), so the sync has not run. --watch follows changes (watch API, reconnecting), one
line per migration, until every migration has Succeeded or Failed; with --prometheus, a bar of the bytes copied
out of the total (KubeVirt keeps no byte counts in the API, so without Prometheus there is no percentage: the
phases say where a migration stands, not how much is done). Without a terminal, plain lines.

Options:
  -c, --config FILE              the migrations config (default: $KVMIGRATE_CONFIG, else migrations.yaml)
      --migration NAME           show only this migration (also: the MIGRATION argument)
      --namespace NS             only migrations with this namespace at either end
      --cluster NAME             only migrations with this cluster (folder) at either end
  -w, --watch                    follow until every migration has ended
      --prometheus URL           Prometheus with KubeVirt's kubevirt_vmi_migration_data_*_bytes metrics
      --timeout SECONDS          with --watch: give up after this long, API reads included (default: no limit)
${CLUSTER_FLAGS_HELP}
  -o, --output FMT               text (default) or json (with --watch: one JSON line per change)
  -h, --help                     show this help

Exit codes: 0 no migration failed (with --watch: all succeeded), 1 a migration failed or --watch timed out,
2 bad usage. NO_COLOR turns colour off.
`;

const LIFECYCLE_HELP = `Usage: kvmigrate cutover <migration> [--force] [--dry-run] [--config FILE] [-o text|json] [cluster options]
       kvmigrate abort <migration> [--remove-receiver] [--dry-run] [--config FILE] [-o text|json] [cluster options]
       kvmigrate retry <migration> [--dry-run] [--config FILE] [-o text|json] [cluster options]

Moves a migration to its next lifecycle step by editing migrations.yaml in place (comments and layout kept), then
says what the next sync will do. <migration> is the entry's name, or its VM name. Commit each step on its own.
Each step first reads the migration's objects from both clusters and says what it saw.

  cutover   after the migration Succeeded: the destination VM becomes a plain VM with its final run strategy,
            the hook leaves Git, a managed source VM is written Halted. Refused, config untouched, unless the
            receive migration Succeeded (or the receiver has arrived) and the receiver's VMI runs
  abort     stop: the hook leaves Git; the receiver VM and its disks stay unless --remove-receiver
  retry     back to migrate as a new attempt: a new migrationID and new migration objects

Options:
  -c, --config FILE              the migrations config (default: $KVMIGRATE_CONFIG, else migrations.yaml)
      --remove-receiver          with abort: remove the receiver VM and its disks from Git too
      --force                    with cutover: skip the cluster check (says so)
      --dry-run                  check and print the config change as a unified diff; write nothing
  -o, --output FMT               text (default) or json
${CLUSTER_FLAGS_HELP}
  -h, --help                     show this help
`;

const VERSION_HELP = `Usage: kvmigrate version [--context NAME] [--kubeconfig FILE] [-o text|json]

Prints this kvmigrate's version. With --context or --kubeconfig, also what that cluster runs: KubeVirt's version
(the KubeVirt CR's status.observedKubeVirtVersion, in kubevirt or openshift-cnv), CDI's (the CDI CR's
status.observedVersion), and whether the DecentralizedLiveMigration feature gate is on, read as preflight reads it.

Options:
${CLUSTER_FLAGS_HELP}
  -o, --output FMT               text (default) or json
  -h, --help                     show this help
`;

const COMPLETION_HELP = `Usage: kvmigrate completion bash|zsh|fish
       kvmigrate completion migrations [--config FILE]

Prints a completion script for the shell: it completes commands, each command's flags, and for diff, cutover,
abort, retry, status and hook-kubeconfig the migration names of the config (which it gets from \`kvmigrate completion
migrations\`, run in the current folder).

  bash   source <(kvmigrate completion bash)              (or save it under /etc/bash_completion.d/)
  zsh    source <(kvmigrate completion zsh)               (through bashcompinit)
  fish   kvmigrate completion fish | source

Options:
  -c, --config FILE   with migrations: the migrations config (default: $KVMIGRATE_CONFIG, else migrations.yaml)
  -h, --help          show this help
`;

const INIT_HELP = `Usage: kvmigrate init [--engine argocd|flux [--repo-url URL]] [--dir DIR]

Starts a GitOps repository for kvmigrate: writes migrations.yaml (no migrations yet), vms/.gitkeep and a GitHub
Actions workflow, .github/workflows/kvmigrate.yml, that runs \`npx kvmigrate synth --check\` on every push and pull
request; prints a README section to paste. Writes nothing when any of these files exists.

With --engine, migrations.yaml gets the engine's section, so that synth also writes what the engine applies:
\`argocd:\` with the repository's URL (that of the Git remote origin, without credentials, unless --repo-url), whose
Applications go to dist/_argocd; or \`flux: {}\` (the GitRepository flux-system), whose Kustomizations go to
dist/_flux.

Options:
      --engine NAME   argocd or flux: the engine that applies dist/ (default: none; synth then warns once)
      --repo-url URL  with --engine argocd: the repository Argo CD reads (default: the Git remote origin)
      --dir DIR       where to write (default: the current folder)
  -h, --help          show this help

Exit codes: 0 written, 1 a file exists (nothing written), 2 bad usage (also: --engine argocd without an origin
remote or --repo-url).
`;

const CLUSTER_COMMAND = { ...CONFIG_OPTION, ...OUTPUT_OPTION, ...CLUSTER_FLAGS } as const;
const LIFECYCLE = { options: { ...CLUSTER_COMMAND, 'remove-receiver': { type: 'boolean' }, force: { type: 'boolean' }, 'dry-run': { type: 'boolean' } }, help: LIFECYCLE_HELP } as const;

export const USAGE = {
  synth: { options: { ...CONFIG_OPTION, ...OUTPUT_OPTION, out: { type: 'string' }, check: { type: 'boolean' } }, help: SYNTH_HELP },
  diff: {
    options: { ...CLUSTER_COMMAND, out: { type: 'string' }, migration: { type: 'string' }, namespace: { type: 'string' }, cluster: { type: 'string' } },
    help: DIFF_HELP,
    failureExitShift: 1,
  },
  cutover: LIFECYCLE,
  abort: LIFECYCLE,
  retry: LIFECYCLE,
  'argocd-health': {
    options: { ...OUTPUT_OPTION, namespace: { type: 'string' }, format: { type: 'string' }, 'create-list': { type: 'boolean' }, applications: { type: 'boolean' } },
    help: ARGOCD_HEALTH_HELP,
  },
  pull: {
    options: { ...CLUSTER_COMMAND, out: { type: 'string' }, force: { type: 'boolean' }, add: { type: 'boolean' }, to: { type: 'string' }, 'source-cluster': { type: 'string' }, 'destination-cluster': { type: 'string' }, 'dry-run': { type: 'boolean' } },
    help: PULL_HELP,
  },
  preflight: { options: { ...CLUSTER_COMMAND, migration: { type: 'string' } }, help: PREFLIGHT_HELP },
  status: {
    options: {
      ...CLUSTER_COMMAND,
      migration: { type: 'string' },
      namespace: { type: 'string' },
      cluster: { type: 'string' },
      watch: { type: 'boolean', short: 'w' },
      prometheus: { type: 'string' },
      timeout: { type: 'string' },
    },
    help: STATUS_HELP,
  },
  hook: {
    options: {
      'source-namespace': { type: 'string' },
      vmi: { type: 'string' },
      'migration-id': { type: 'string' },
      name: { type: 'string' },
      'destination-namespace': { type: 'string' },
      'receive-name': { type: 'string' },
      'kubevirt-namespace': { type: 'string' },
      'connect-url': { type: 'string' },
      'published-address-only': { type: 'boolean' },
      'destination-kubeconfig': { type: 'string' },
      timeout: { type: 'string' },
      wait: { type: 'boolean' },
      'migration-timeout': { type: 'string' },
      'synchronizing-timeout': { type: 'string' },
      'address-family': { type: 'string' },
      'no-address-probe': { type: 'boolean' },
      'poll-interval': { type: 'string' },
      'request-timeout': { type: 'string' },
      'log-format': { type: 'string' },
    },
    help: HOOK_HELP,
  },
  version: { options: { ...OUTPUT_OPTION, ...CLUSTER_FLAGS }, help: VERSION_HELP },
  completion: { options: { ...CONFIG_OPTION }, help: COMPLETION_HELP },
  init: { options: { engine: { type: 'string' }, 'repo-url': { type: 'string' }, dir: { type: 'string' } }, help: INIT_HELP },
  'hook-kubeconfig': {
    options: { ...CONFIG_OPTION, ...CLUSTER_FLAGS, output: { type: 'string', short: 'o' }, duration: { type: 'string' }, create: { type: 'boolean' } },
    help: HOOK_KUBECONFIG_HELP,
  },
} satisfies Record<string, CommandUsage>;
