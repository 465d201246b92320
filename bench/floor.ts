// (b') The floor: the least any tool must do for a fleet, in a process of its own: parse the same inputs
// (migrations.yaml and every source manifest) and write the same objects into the same files, with js-yaml alone.
// The objects come from a JSON file of kvmigrate's output (JSON.parse is the cheapest way to have them). bench/run.ts
// bundles this file with esbuild and runs it with plain node, as kvmigrate's own bundle runs.
//   node floor.mjs <fleet dir> <objects.json> <out dir>
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CORE_SCHEMA, dump, load, loadAll } from 'js-yaml';

const [fleet, objectsJson, out] = process.argv.slice(2) as [string, string, string];
const config = load(readFileSync(join(fleet, 'migrations.yaml'), 'utf8'), { schema: CORE_SCHEMA }) as { migrations: { source: { manifest: string } }[] };
for (const migration of config.migrations) loadAll(readFileSync(join(fleet, migration.source.manifest), 'utf8'), () => {}, { schema: CORE_SCHEMA });
const files = JSON.parse(readFileSync(objectsJson, 'utf8')) as { path: string; objects: unknown[] }[];
for (const file of files) {
  const target = join(out, file.path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, file.objects.map((o) => dump(o, { schema: CORE_SCHEMA, lineWidth: -1, noRefs: true })).join('---\n'));
}
