// `npm run bench`: how synthesis scales, as ratios against baselines measured in the same run on the same machine.
// Writes a table to stdout and bench/results.md. Timing goals live here, never in tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFleet } from './fleet.ts';
import { synthesize } from '../lib/synth/synthesize.ts';

const root = resolve(import.meta.dirname, '..');
const SIZES = (process.env.KVMIGRATE_BENCH_SIZES ?? '1,100,1000,5000').split(',').map(Number);
const runsFor = (n: number) => (n >= 5000 ? 3 : n >= 1000 ? 5 : 7);

interface Measurement {
  readonly times: number[];
  readonly objects: number;
  readonly maxRssMiB: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function measure(kind: string, fleet: string, runs: number): Measurement {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench/measure.ts'), kind, fleet, String(runs)], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`${kind} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Measurement;
}

/** The whole `kvmigrate synth` process, as CI runs it: start-up included. */
function processTimes(fleet: string, runs: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    execFileSync(process.execPath, [join(root, 'bin/kvmigrate.js'), 'synth', '--config', join(fleet, 'migrations.yaml'), '--out', join(fleet, 'out-process')], { stdio: 'ignore' });
    times.push(performance.now() - start);
  }
  return times;
}

const work = mkdtempSync(join(tmpdir(), 'kvmigrate-bench-'));
const rows: { n: number; a: Measurement; b: Measurement; c: Measurement; cPerFile: Measurement; process?: number }[] = [];
try {
  for (const n of SIZES) {
    const fleet = join(work, `fleet-${n}`);
    writeFleet(fleet, n);
    synthesize({ configPath: join(fleet, 'migrations.yaml'), outdir: join(fleet, 'reference') });
    const runs = runsFor(n);
    process.stderr.write(`N=${n}: kvmigrate, yaml, cdk8s ...\n`);
    const row = {
      n,
      a: measure('kvmigrate', fleet, runs),
      b: measure('yaml', fleet, runs),
      c: measure('cdk8s', fleet, runs),
      cPerFile: measure('cdk8s-app-per-file', fleet, runs),
      process: n === 1 || n === 1000 ? median(processTimes(fleet, 5)) : undefined,
    };
    rows.push(row);
    rmSync(fleet, { recursive: true, force: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;
const lines = [
  '| N | objects | (a) kvmigrate | (b) yaml alone | (c) plain cdk8s | (c\') cdk8s, app per file | a/b | a/c | a/c\' | objects/s | per migration | peak RSS (a) | whole process |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(({ n, a, b, c, cPerFile, process: whole }) => {
    const [ta, tb, tc, tc2] = [median(a.times), median(b.times), median(c.times), median(cPerFile.times)];
    return `| ${n} | ${a.objects} | ${ms(ta)} | ${ms(tb)} | ${ms(tc)} | ${ms(tc2)} | ${(ta / tb).toFixed(2)} | ${(ta / tc).toFixed(2)} | ${(ta / tc2).toFixed(2)} | ${Math.round((a.objects / ta) * 1000)} | ${(ta / n).toFixed(2)} ms | ${a.maxRssMiB.toFixed(0)} MiB | ${whole === undefined ? '' : ms(whole)} |`;
  }),
];
const perMigration = (n: number) => {
  const row = rows.find((r) => r.n === n);
  return row ? median(row.a.times) / n : undefined;
};
const [small, large] = [perMigration(100), perMigration(5000)];
const scaling = small && large ? `time per migration at N=5000 / at N=100: ${(large / small).toFixed(2)}` : '';
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
const report = [
  '# kvmigrate synthesis benchmark',
  '',
  `Machine: ${machine}. Medians of ${SIZES.map((n) => `${runsFor(n)} runs at N=${n}`).join(', ')}; each case in its own process.`,
  'Fleet: every VM with two DataVolume disks and a cloud-init disk, migrations spread over three clusters, each',
  'emitted with its post-sync hook (12 objects a migration).',
  '',
  ...lines,
  '',
  scaling,
  '',
  '(a) config parse to files on disk, in-process; (b) the same objects written with the `yaml` package alone (the',
  'lower bound); (c) the same objects as plain ApiObjects in one plain cdk8s App per cluster folder, a chart per file;',
  "(c') the same with one App per file; whole process: `kvmigrate synth` as a command, start-up included.",
  '',
].join('\n');
writeFileSync(join(root, 'bench/results.md'), report);
process.stdout.write(`${report}\n`);
