// A V8 CPU profile (`node --cpu-prof`) summarized by step of synthesis and by package: each sample's function is
// mapped through the bundle's source map (node:module's SourceMap) to its original file and name; the file to its npm
// package or kvmigrate's own lib/ folder.
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly url: string; readonly functionName: string; readonly lineNumber: number; readonly columnNumber: number };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const maps = new Map<string, SourceMap | undefined>();
function sourceMapOf(file: string): SourceMap | undefined {
  if (!maps.has(file)) {
    let map: SourceMap | undefined;
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = undefined;
    }
    maps.set(file, map);
  }
  return maps.get(file);
}

/** The package a source file belongs to: `yaml`, `@kubernetes/client-node`, `kvmigrate lib/config`, ... */
function packageOf(path: string): string {
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const [scope, name] = path.slice(modules + 'node_modules/'.length).split('/');
    return scope!.startsWith('@') ? `${scope}/${name}` : scope!;
  }
  const lib = /(?:^|\/)(lib|imports)\/([^/]+)\//.exec(path) ?? /(?:^|\/)(lib|imports)\//.exec(path);
  if (lib) return `kvmigrate ${lib[1]}${lib[2] && !lib[2].includes('.') ? `/${lib[2]}` : ''}`;
  return path.startsWith('node:') ? 'node (built-in modules)' : path;
}

/** A frame's original source file (through the bundle's source map) and function name. */
function originalOf(frame: ProfileNode['callFrame']): { file: string; name: string } {
  if (!frame.url || frame.url.startsWith('node:')) return { file: frame.url, name: frame.functionName };
  const file = frame.url.startsWith('file:') ? fileURLToPath(frame.url) : frame.url;
  const entry = sourceMapOf(file)?.findEntry(frame.lineNumber, frame.columnNumber);
  // The mapping's `name` (the original name of a minified function) is missing from Node 20's typings.
  return entry && 'originalSource' in entry ? { file: entry.originalSource, name: (entry as { name?: string }).name ?? frame.functionName } : { file, name: frame.functionName };
}

function categoryOf(frame: ProfileNode['callFrame']): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : 'V8 and node internals';
  if (frame.url.startsWith('node:')) return 'node (built-in modules)';
  return packageOf(originalOf(frame).file);
}

/** The steps of a synthesis, each a function (its original name and a part of its source path). */
const PHASES: readonly [phase: string, name: string, source: string][] = [
  ['config: parse and check (js-yaml, schemas)', 'loadConfig', 'lib/config/load-config.ts'],
  ['plan', 'planMigrations', 'lib/plan/plan.ts'],
  ['constructs: build the tree', 'buildMigrationCharts', 'lib/synth/render.ts'],
  ['cdk8s: chart.toJson (resolve, sanitize, dependencies)', 'toJson', 'cdk8s/src/chart.ts'],
  ['YAML out (js-yaml dump)', 'manifestYaml', 'lib/synth/yaml-output.ts'],
  ['output files', 'replaceOutputDirectory', 'lib/synth/write-output.ts'],
  ['the rest of synthesize', 'synthesize', 'lib/synth/synthesize.ts'],
];
const OUTSIDE = 'start-up, exit, (garbage collector) and the rest';

/** Milliseconds of self time per package, and of inclusive time per step of synthesis (PHASES), largest first. */
export function profileSummary(profileFile: string): { byPackage: [string, number][]; byPhase: [string, number][] } {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as Profile;
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const category = new Map(profile.nodes.map((node) => [node.id, categoryOf(node.callFrame)]));
  const ownPhase = new Map(
    profile.nodes.map((node) => {
      const { file, name } = originalOf(node.callFrame);
      return [node.id, PHASES.find(([, fn, source]) => fn === name && file.includes(source))?.[0]];
    }),
  );
  // A sample belongs to the innermost step on its stack.
  const phaseOf = (id: number): string => {
    for (let node: number | undefined = id; node !== undefined; node = parent.get(node)) {
      const phase = ownPhase.get(node);
      if (phase) return phase;
    }
    return OUTSIDE;
  };
  const byPackage = new Map<string, number>();
  const byPhase = new Map<string, number>();
  const add = (totals: Map<string, number>, name: string, ms: number) => totals.set(name, (totals.get(name) ?? 0) + ms);
  profile.samples.forEach((id, index) => {
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    add(byPackage, category.get(id)!, ms);
    add(byPhase, phaseOf(id), ms);
  });
  const sorted = (totals: Map<string, number>) => [...totals].sort((a, b) => b[1] - a[1]);
  return { byPackage: sorted(byPackage), byPhase: sorted(byPhase) };
}
