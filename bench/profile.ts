// Self time of a V8 CPU profile (`node --cpu-prof`) by package: each sample's function mapped through the bundle's
// source map (node:module's SourceMap) to its original file, and that file to its npm package, or to kvmigrate's
// own lib/ folder.
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly url: string; readonly functionName: string; readonly lineNumber: number; readonly columnNumber: number };
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

function categoryOf(frame: ProfileNode['callFrame']): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : 'V8 and node internals';
  if (frame.url.startsWith('node:')) return 'node (built-in modules)';
  const file = frame.url.startsWith('file:') ? fileURLToPath(frame.url) : frame.url;
  const entry = sourceMapOf(file)?.findEntry(frame.lineNumber, frame.columnNumber);
  return packageOf(entry && 'originalSource' in entry ? entry.originalSource : file);
}

/** Milliseconds of self time per package, largest first. */
export function selfTimeByPackage(profileFile: string): [string, number][] {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as Profile;
  const category = new Map(profile.nodes.map((node) => [node.id, categoryOf(node.callFrame)]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const name = category.get(id)!;
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
  });
  return [...totals].sort((a, b) => b[1] - a[1]);
}
