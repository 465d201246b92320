// `npm run bench`: how synthesis scales, as ratios against baselines measured in the same run on the same machine.
// Writes a table to stdout and bench/results.md. Timing goals live here, never in tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { writeFleet } from './fleet.ts';
import { profileSummary } from './profile.ts';
import { synthesize } from '../lib/synth/synthesize.ts';

const root = resolve(import.meta.dirname, '..');
const SIZES = (process.env.KVMIGRATE_BENCH_SIZES ?? '1,100,1000,5000,10000').split(',').map(Number);
const runsFor = (n: number) => (n >= 5000 ? 3 : n >= 1000 ? 5 : 7);
/** Whole processes are cheap at small N, and their start-up ratio is the noisiest: more runs there. */
const processRunsFor = (n: number) => (n <= 1 ? 21 : n <= 100 ? 11 : Math.max(runsFor(n), 3));
/** (c) builds one App per cluster with a chart per file, and cdk8s resolves dependencies across charts: quadratic. */
const PLAIN_CDK8S_UP_TO = 5000;
const KVMIGRATE = join(root, 'bin/kvmigrate.js');
const TIME = '/usr/bin/time';

interface Measurement {
  readonly times: number[];
  readonly objects: number;
  readonly maxRssMiB: number;
}

/** A whole process: wall and CPU (user + system) seconds, peak RSS, as GNU time reports them. */
interface ProcessCost {
  readonly wall: number;
  readonly cpu: number;
  readonly user: number;
  readonly system: number;
  readonly rssMiB: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const medianByCpu = (costs: ProcessCost[]) => [...costs].sort((a, b) => a.cpu - b.cpu)[Math.floor(costs.length / 2)]!;

function measure(kind: string, fleet: string, runs: number): Measurement {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench/measure.ts'), kind, fleet, String(runs)], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`${kind} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Measurement;
}

/** One run of a command; its out dir (if any) is removed afterwards. */
function processCost(args: string[], out?: string): ProcessCost {
  const report = join(work, 'time.txt');
  const result = spawnSync(TIME, ['-f', '%e %U %S %M', '-o', report, process.execPath, ...args], { cwd: root, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed (exit ${result.status})`);
  const [wall, user, system, rssKiB] = readFileSync(report, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number) as [number, number, number, number];
  if (out) rmSync(out, { recursive: true, force: true });
  return { wall, cpu: user + system, user, system, rssMiB: rssKiB / 1024 };
}

/** The run of median CPU time of a command out of `runs`. */
function medianProcessCost(args: string[], runs: number): ProcessCost {
  return medianByCpu(Array.from({ length: runs }, () => processCost(args)));
}

/**
 * Two commands run in turns, so that both see the same load on a shared machine: each one's run of median CPU time,
 * and the median of the CPU ratios of the pairs (steadier than the ratio of the medians when the load drifts).
 */
function pairedProcessCosts(a: string[], b: string[], runs: number, out: string): { a: ProcessCost; b: ProcessCost; ratio: number } {
  const pairs = Array.from({ length: runs }, () => [processCost(a, out), processCost(b, out)] as const);
  return { a: medianByCpu(pairs.map(([x]) => x)), b: medianByCpu(pairs.map(([, y]) => y)), ratio: median(pairs.map(([x, y]) => x.cpu / y.cpu)) };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** kvmigrate's output as the floor's input: every file's path and objects, as JSON. */
function writeObjectsJson(reference: string, target: string): void {
  const files = filesUnder(reference)
    .sort()
    .map((file) => {
      const objects: unknown[] = [];
      loadAll(readFileSync(file, 'utf8'), (o) => objects.push(o), { schema: CORE_SCHEMA });
      return { path: relative(reference, file), objects };
    });
  writeFileSync(target, JSON.stringify(files));
}

if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed to measure whole processes: apt-get install time`);
// The command line runs from its build, as users run it.
execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
const work = mkdtempSync(join(tmpdir(), 'kvmigrate-bench-'));
const floor = join(work, 'floor.mjs');
await build({ entryPoints: [join(root, 'bench/floor.ts')], outfile: floor, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });

interface Row {
  readonly n: number;
  readonly a: Measurement;
  readonly b: Measurement;
  readonly c?: Measurement;
  readonly cPerFile: Measurement;
  readonly kvmigrate: ProcessCost;
  readonly floor: ProcessCost;
  /** The median of kvmigrate's CPU over the floor's, run in turns. */
  readonly cpuRatio: number;
}
const rows: Row[] = [];
let profile: ReturnType<typeof profileSummary> = { byPackage: [], byPhase: [] };
const PROFILE_AT = 1000;
let help: { top: number; slowestCommand: [string, number] } | undefined;
try {
  for (const n of SIZES) {
    const fleet = join(work, `fleet-${n}`);
    writeFleet(fleet, n);
    synthesize({ configPath: join(fleet, 'migrations.yaml'), outdir: join(fleet, 'reference') });
    writeObjectsJson(join(fleet, 'reference'), join(fleet, 'objects.json'));
    const runs = runsFor(n);
    process.stderr.write(`N=${n}: kvmigrate, yaml, cdk8s, whole processes ...\n`);
    const out = join(fleet, 'out-process');
    const synthArgs = [KVMIGRATE, 'synth', '--config', join(fleet, 'migrations.yaml'), '--out', out];
    const processes = pairedProcessCosts(synthArgs, [floor, fleet, join(fleet, 'objects.json'), out], processRunsFor(n), out);
    rows.push({
      n,
      a: measure('kvmigrate', fleet, runs),
      b: measure('yaml', fleet, runs),
      c: n <= PLAIN_CDK8S_UP_TO ? measure('cdk8s', fleet, runs) : undefined,
      cPerFile: measure('cdk8s-app-per-file', fleet, runs),
      kvmigrate: processes.a,
      floor: processes.b,
      cpuRatio: processes.ratio,
    });
    if (n === PROFILE_AT) {
      const profiles = join(work, 'profiles');
      execFileSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profiles, ...synthArgs], { cwd: root, stdio: 'ignore' });
      profile = profileSummary(join(profiles, readdirSync(profiles)[0]!));
    }
    rmSync(fleet, { recursive: true, force: true });
  }
  const helpWall = (args: string[]) => medianProcessCost([KVMIGRATE, ...args], 9).wall;
  const commands = ['synth', 'cutover', 'argocd-health', 'pull', 'preflight', 'status', 'hook', 'hook-kubeconfig'];
  const perCommand = commands.map((command) => [command, medianProcessCost([KVMIGRATE, command, '--help'], 5).wall] as [string, number]);
  help = { top: helpWall(['--help']), slowestCommand: perCommand.sort((x, y) => y[1] - x[1])[0]! };
} finally {
  rmSync(work, { recursive: true, force: true });
}
const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;
const seconds = (value: number) => `${value.toFixed(2)} s`;
const ratio = (x: number, y: number) => (x / y).toFixed(2);
const inProcess = [
  "| N | objects | (a) kvmigrate | (b) yaml alone | (c) plain cdk8s | (c') cdk8s, app per file | a/b | a/c | a/c' | per migration | peak RSS (a) |",
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(({ n, a, b, c, cPerFile }) => {
    const [ta, tb, tc, tc2] = [median(a.times), median(b.times), c && median(c.times), median(cPerFile.times)];
    return `| ${n} | ${a.objects} | ${ms(ta)} | ${ms(tb)} | ${tc === undefined ? 'skipped' : ms(tc)} | ${ms(tc2)} | ${ratio(ta, tb)} | ${tc === undefined ? '' : ratio(ta, tc)} | ${ratio(ta, tc2)} | ${(ta / n).toFixed(2)} ms | ${a.maxRssMiB.toFixed(0)} MiB |`;
  }),
];
const wholeProcess = [
  "| N | kvmigrate synth: CPU (user + system) | wall | peak RSS | (b') js-yaml floor: CPU (user + system) | wall | peak RSS | CPU kvmigrate / floor |",
  '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(({ n, kvmigrate: k, floor: f, cpuRatio }) => {
    const cpu = (c: ProcessCost) => `${seconds(c.cpu)} (${seconds(c.user)} + ${seconds(c.system)})`;
    return `| ${n} | ${cpu(k)} | ${seconds(k.wall)} | ${k.rssMiB.toFixed(0)} MiB | ${cpu(f)} | ${seconds(f.wall)} | ${f.rssMiB.toFixed(0)} MiB | ${cpuRatio.toFixed(2)} |`;
  }),
];
const row = (n: number) => rows.find((r) => r.n === n);
const perMigration = (n: number) => (row(n) ? median(row(n)!.a.times) / n : undefined);
const goal = (text: string, value: string | undefined, met: boolean | undefined) => `| ${text} | ${value ?? 'not measured'} | ${met === undefined ? '' : met ? 'met' : '**missed**'} |`;
const cpuRatio = (n: number) => row(n)?.cpuRatio;
const [p100, p10000] = [perMigration(100), perMigration(10000)];
const [r1000, r1, scaling, rss10k] = [cpuRatio(1000), cpuRatio(1), p100 === undefined || p10000 === undefined ? undefined : p10000 / p100, row(10000)?.kvmigrate.rssMiB];
const goals = [
  '| goal | measured | |',
  '|---|---:|---|',
  goal("N=1000, whole process: CPU <= 1.5 x the js-yaml floor (b')", r1000?.toFixed(2), r1000 === undefined ? undefined : r1000 <= 1.5),
  goal("N=1, start-up: CPU <= 2 x the floor's whole process", r1?.toFixed(2), r1 === undefined ? undefined : r1 <= 2),
  goal('`kvmigrate --help` under 0.2 s wall', help && seconds(help.top), help && help.top < 0.2),
  goal('each `<command> --help` under 0.5 s wall (the slowest)', help && `${help.slowestCommand[0]}: ${seconds(help.slowestCommand[1])}`, help && help.slowestCommand[1] < 0.5),
  goal('N=10000: time per migration (a) <= 1.2 x that at N=100', scaling?.toFixed(2), scaling === undefined ? undefined : scaling <= 1.2),
  goal('N=10000: peak RSS of the whole process under 1.5 GiB', rss10k === undefined ? undefined : `${rss10k.toFixed(0)} MiB`, rss10k === undefined ? undefined : rss10k < 1536),
];
const total = profile.byPackage.reduce((sum, [, t]) => sum + t, 0);
const share = (t: number) => `${((t / total) * 100).toFixed(1)} %`;
const profileLines = [
  `| step of \`kvmigrate synth\` of N=${PROFILE_AT} (inclusive time) | ms | share |`,
  '|---|---:|---:|',
  ...profile.byPhase.map(([name, t]) => `| ${name} | ${t.toFixed(0)} | ${share(t)} |`),
  '',
  '| package (self time) | ms | share |',
  '|---|---:|---:|',
  ...profile.byPackage.slice(0, 12).map(([name, t]) => `| ${name} | ${t.toFixed(0)} | ${share(t)} |`),
];
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
const report = [
  '# kvmigrate synthesis benchmark',
  '',
  `Machine: ${machine}. Medians of ${SIZES.map((n) => `${runsFor(n)} runs at N=${n}`).join(', ')}; each case in its own process;`,
  `whole processes: kvmigrate and the floor in turns (${SIZES.map((n) => `${processRunsFor(n)} pairs at N=${n}`).join(', ')}), each one's run of`,
  'median CPU time as GNU time reports it; the ratio is the median of the pairs\' ratios.',
  'Fleet: every VM with two DataVolume disks and a cloud-init disk, migrations spread over three clusters, each',
  'emitted with its post-sync hook (objects a migration: the `objects` column over N), in the fleet layout: Argo CD',
  'and Flux output, batches of 100, so above 10 migrations an Application, a Kustomization and a kustomization.yaml',
  'per migration (bench/fleet.ts).',
  '',
  '## Goals',
  '',
  ...goals,
  '',
  '## Whole processes',
  '',
  ...wholeProcess,
  '',
  "`kvmigrate synth` from its build (`bin/kvmigrate.js`, the esbuild bundle); (b') the floor: a bundled process that",
  'parses the same inputs (migrations.yaml and every source manifest) with js-yaml, reads the objects from JSON and',
  'writes them into the same files with js-yaml (bench/floor.ts).',
  '',
  '## In-process synthesis',
  '',
  ...inProcess,
  '',
  '(a) config parse to files on disk, in-process; (b) the same objects written with the `yaml` package alone;',
  '(c) the same objects as plain ApiObjects in one plain cdk8s App per cluster folder, a chart per file (skipped',
  `above N=${PLAIN_CDK8S_UP_TO}: it grows with the square of the charts); (c') the same with one App per file.`,
  '',
  '## Profile',
  '',
  ...profileLines,
  '',
  'From `node --cpu-prof` of the main thread, each sample attributed through the bundle\'s source maps to the step',
  "of synthesis on its stack, and to its npm package or kvmigrate's own folder (bench/profile.ts); `(garbage",
  "collector)` and `(program)` are V8's own.",
  '',
].join('\n');
writeFileSync(join(root, 'bench/results.md'), report);
process.stdout.write(`${report}\n`);
