// One measurement in a process of its own (so peak RSS is that case's): prints {"times": [ms...], "maxRssMiB": n, ...}.
//   node --import tsx bench/measure.ts <case> <fleet dir> <runs>
// Cases: kvmigrate (in-process synthesis, config parse to files on disk), yaml (the same objects written with the
// yaml package alone), cdk8s (the same objects as plain ApiObjects in a plain cdk8s App, a chart per file),
// cdk8s-app-per-file (the same, one App per file, as kvmigrate lays out its apps).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ApiObject, App, Chart } from 'cdk8s';
import { stringify } from 'yaml';
import { synthesize } from '../lib/synth/synthesize.ts';

const [kind, fleet, runsText] = process.argv.slice(2) as [string, string, string];
const runs = Number(runsText);

/** kvmigrate's output as every other case writes it: each file's path and objects (bench/run.ts writes objects.json). */
function referenceObjects(): { path: string; objects: Record<string, unknown>[] }[] {
  return JSON.parse(readFileSync(join(fleet, 'objects.json'), 'utf8'));
}

function timed(run: (out: string) => void): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = join(fleet, `out-${kind}-${i}`);
    const start = performance.now();
    run(out);
    times.push(performance.now() - start);
    rmSync(out, { recursive: true, force: true });
  }
  return times;
}

let times: number[];
let objects = 0;
switch (kind) {
  case 'kvmigrate': {
    times = timed((out) => {
      objects = synthesize({ configPath: join(fleet, 'migrations.yaml'), outdir: out }).files.reduce((n, f) => n + f.objects, 0);
    });
    break;
  }
  case 'yaml': {
    const files = referenceObjects();
    objects = files.reduce((n, f) => n + f.objects.length, 0);
    times = timed((out) => {
      for (const file of files) {
        const target = join(out, file.path);
        mkdirSync(dirname(target), { recursive: true });
        // The options cdk8s writes with: YAML 1.1 quoting, no line folding.
        writeFileSync(target, file.objects.map((o) => stringify(o, { keepUndefined: true, lineWidth: 0, version: '1.1' })).join('---\n'));
      }
    });
    break;
  }
  case 'cdk8s':
  case 'cdk8s-app-per-file': {
    const files = referenceObjects();
    objects = files.reduce((n, f) => n + f.objects.length, 0);
    times = timed((out) => {
      const apps = new Map<string, App>();
      for (const file of files) {
        const folder = dirname(file.path);
        let app = kind === 'cdk8s' ? apps.get(folder) : undefined;
        if (!app) {
          app = new App({ outdir: join(out, folder) });
          apps.set(kind === 'cdk8s' ? folder : file.path, app);
        }
        const chart = new Chart(app, file.path.slice(folder.length + 1).replace(/\.k8s\.yaml$/, ''));
        file.objects.forEach((object, index) => new ApiObject(chart, `o${index}`, object as never));
      }
      for (const app of apps.values()) app.synth();
    });
    break;
  }
  default:
    throw new Error(`unknown case ${kind}`);
}
writeFileSync(1, `${JSON.stringify({ times, objects, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
