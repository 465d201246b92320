// A seeded generator of hostile configs and source manifests, apart from the fast-check fuzzer (fuzz.ts): each case is
// a valid config and manifest with one to three mutations, structural (keys renamed, added or deleted, values
// replaced, bad quantities, bad label and annotation keys and values, Argo CD and Flux keys) and textual (YAML tags,
// inserted bytes, duplicate keys, alias bombs, deep nesting, long strings, huge files). The same seed gives the same
// case, so a failure is replayed from its seed alone.
import { stringify } from 'yaml';
import { baseConfig, baseManifest } from './fuzz.ts';

type Json = Record<string, any>;

/** mulberry32: a small seeded PRNG, plenty for choosing mutations. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Pick {
  readonly int: (below: number) => number;
  readonly one: <T>(items: readonly T[]) => T;
  readonly chance: (p: number) => boolean;
}

function picker(next: () => number): Pick {
  const int = (below: number) => Math.floor(next() * below);
  return { int, one: (items) => items[int(items.length)]!, chance: (p) => next() < p };
}

const BAD_QUANTITIES = ['0Gi', '0', '1e400', '-1Gi', '1e-400', '0.0001', `${'9'.repeat(400)}Ei`, '1e100', '10 Gi', 'Gi', '', 0, -5, 1e308, '0x10'];
const BAD_KEYS = ['x'.repeat(64), '-x', '', 'x/y/z', 'bad key', '/x', 'Example.com/x', `${'a'.repeat(254)}/x`, 'x_', 'ü', 'a/', '.x', 'x\ny', 'x\u0000'];
const BAD_LABEL_VALUES = ['v'.repeat(64), '-v', 'a b', 'v-', '✓', 'a/b', '\u001b[31m', 'x'.repeat(70_000)];
const ENGINE_KEYS = ['argocd.argoproj.io/sync-options', 'argocd.argoproj.io/hook', 'argocd.argoproj.io/tracking-id', 'kustomize.toolkit.fluxcd.io/reconcile', 'fluxcd.io/ignore', 'app.kubernetes.io/instance'];
const KEYS = ['__proto__', 'constructor', 'toString', 'x', 'size', 'name', 'namespace', 'storage', 'labels', 'annotations', 'spec', 'kind', 'apiVersion', '<<', 'x-anchor'];
const VALUES: unknown[] = [null, true, 0, -1, 1.5, '', 'x'.repeat(300), '0Gi', 'Web_1', '😀', [], {}, [null], { a: { b: {} } }, 'ReadWriteMany', 'Block', 'y', 'on', '1e400', 'default'];

/** Every path to a value in `data`, maps and sequences alike. */
function paths(data: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (data === null || typeof data !== 'object') return [prefix];
  const entries = Array.isArray(data) ? data.map((v, i) => [i, v] as const) : Object.entries(data as Json);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

const at = (data: Json, path: readonly (string | number)[]) => path.reduce((node: any, key) => node?.[key], data);

/** Sets an own property, also `__proto__`, which plain assignment would not create. */
const define = (target: Json, key: string, value: unknown) => Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });

/** The maps in `data` (objects, not arrays), by path. */
const mapPaths = (data: Json) => paths(data).filter((p) => { const v = at(data, p); return v !== null && typeof v === 'object' && !Array.isArray(v); });

type Structural = (data: Json, pick: Pick) => string;

const STRUCTURAL: Record<string, Structural> = {
  rename(data, pick) {
    const candidates = paths(data).filter((p) => p.length > 0 && typeof p.at(-1) === 'string');
    if (candidates.length === 0) return 'rename (nothing)';
    const path = pick.one(candidates);
    const parent = at(data, path.slice(0, -1));
    const key = String(path.at(-1));
    const to = pick.one([key.toUpperCase(), `${key}s`, key.slice(1), pick.one(KEYS), `${key} `]);
    const value = parent[key];
    delete parent[key];
    define(parent, to, value);
    return `rename ${path.join('.')} -> ${to}`;
  },
  replace(data, pick) {
    const candidates = paths(data).filter((p) => p.length > 0);
    if (candidates.length === 0) return 'replace (nothing)';
    const path = pick.one(candidates);
    at(data, path.slice(0, -1))[path.at(-1)!] = structuredClone(pick.one(VALUES));
    return `replace ${path.join('.')}`;
  },
  add(data, pick) {
    const path = pick.one(mapPaths(data));
    const key = pick.one(KEYS);
    define(at(data, path), key, structuredClone(pick.one(VALUES)));
    return `add ${[...path, key].join('.')}`;
  },
  delete(data, pick) {
    const candidates = paths(data).filter((p) => p.length > 0);
    if (candidates.length === 0) return 'delete (nothing)';
    const path = pick.one(candidates);
    const parent = at(data, path.slice(0, -1));
    if (Array.isArray(parent)) parent.splice(Number(path.at(-1)), 1);
    else delete parent[path.at(-1)!];
    return `delete ${path.join('.')}`;
  },
  quantity(data, pick) {
    const sizes = paths(data).filter((p) => p.at(-1) === 'storage' || p.at(-1) === 'size' || p.at(-1) === 'guest');
    if (sizes.length === 0) return 'quantity (nothing)';
    const path = pick.one(sizes);
    const value = pick.one(BAD_QUANTITIES);
    at(data, path.slice(0, -1))[path.at(-1)!] = value;
    return `quantity ${path.join('.')} = ${JSON.stringify(value).slice(0, 40)}`;
  },
  metadata(data, pick) {
    const metadatas = paths(data).filter((p) => p.at(-1) === 'metadata' && typeof at(data, p) === 'object' && at(data, p) !== null);
    if (metadatas.length === 0) return 'metadata (nothing)';
    const metadata = at(data, pick.one(metadatas));
    const field = pick.one(['labels', 'annotations'] as const);
    // An earlier mutation may have left a scalar or a list there: start a map of its own.
    if (typeof metadata[field] !== 'object' || metadata[field] === null || Array.isArray(metadata[field])) metadata[field] = {};
    const kind = pick.one(['key', 'value', 'engine', 'size'] as const);
    if (kind === 'key') define(metadata[field], pick.one(BAD_KEYS), 'v');
    else if (kind === 'value') define(metadata[field], 'app', pick.one(BAD_LABEL_VALUES));
    else if (kind === 'engine') define(metadata[field], pick.one(ENGINE_KEYS), 'x');
    else define(metadata[field], 'big', 'x'.repeat(pick.one([262_100, 262_200, 300_000])));
    return `metadata ${field} ${kind}`;
  },
};

type Textual = (text: string, pick: Pick) => string;

const aliasBomb = (depth: number) => {
  let text = 'x-a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
  for (let i = 1; i < depth; i++) text += `x-a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
  return text;
};

/** A position just after `key: ` on some line, for a tag or a value; the text's end when there is none. */
function valueOffsets(text: string): number[] {
  return [...text.matchAll(/^( *(?:- )?[^\s:#][^:\n]*: )(?=\S)/gm)].map((m) => m.index + m[0].length);
}

const TEXTUAL: Record<string, Textual> = {
  tag(text, pick) {
    const offsets = valueOffsets(text);
    const at = offsets.length > 0 ? pick.one(offsets) : text.length;
    return text.slice(0, at) + pick.one(['!!binary ', '!!timestamp ', '!custom ', '!!set ', '!!omap ', '!!int ', '!!float ', '!!str ', '!!null ', '!!map ', '!<tag:x> ']) + text.slice(at);
  },
  bytes(text, pick) {
    const at = pick.int(text.length + 1);
    const bytes = Array.from({ length: 1 + pick.int(8) }, () => String.fromCharCode(pick.one([0, 7, 9, 10, 13, 27, 0x85, 0xa0, 0xfeff, 0xd800, 0xdfff, 0x2028, 34, 39, 35, 38, 42, 58, 123, 91, 124, 62, 37, 64, 96]))).join('');
    return text.slice(0, at) + bytes + text.slice(at);
  },
  duplicateKey(text, pick) {
    const lines = text.split('\n');
    const keyed = lines.map((l, i) => [l, i] as const).filter(([l]) => /^ *[^\s-][^:]*:/.test(l));
    if (keyed.length === 0) return text;
    const [line, index] = pick.one(keyed);
    lines.splice(index + 1, 0, line);
    return lines.join('\n');
  },
  aliasBomb: (text, pick) => `${aliasBomb(2 + pick.int(8))}${text}`,
  deep(text, pick) {
    const depth = pick.one([70, 101, 1_000, 50_000]);
    return pick.chance(0.5)
      ? `${text}\nx-deep: ${'['.repeat(depth)}${']'.repeat(depth)}\n`
      : `${text}\nx-deep:\n${Array.from({ length: Math.min(depth, 2_000) }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')} 1\n`;
  },
  longString(text, pick) {
    const offsets = valueOffsets(text);
    const at = offsets.length > 0 ? pick.one(offsets) : text.length;
    const end = text.indexOf('\n', at);
    return `${text.slice(0, at)}${pick.one(['a', 'é', '-', 'x '])?.repeat(pick.one([1_000, 100_000, 2_000_000]))}${text.slice(end < 0 ? text.length : end)}`;
  },
  hugeFile(text, pick) {
    return pick.one([
      () => `${text}\n${'---\n'.repeat(2_500_000)}`,
      () => `${text}\n${'# padding\n'.repeat(1_000_000)}`,
      () => `${text}\n---\n${'- x\n'.repeat(300_000)}`,
    ])();
  },
};

export interface HostileCase {
  readonly seed: number;
  /** What was done, for the report of a failing case. */
  readonly mutations: readonly string[];
  readonly config: string;
  readonly manifest: string;
}

/** The base VM with labels and annotations on it and its template, so metadata mutations have something to change. */
function manifestBase(): Json[] {
  const [machine, ...rest] = baseManifest();
  machine!.metadata.labels = { app: 'web', 'example.com/tier': 'front' };
  machine!.metadata.annotations = { 'example.com/owner': 'team-a' };
  machine!.spec.template.metadata.annotations = { 'example.com/note': 'kept' };
  return [machine!, ...rest];
}

/** The case of `seed`: one to three mutations, each on the config or the manifest. */
export function hostileCase(seed: number): HostileCase {
  const pick = picker(random(seed));
  const config = baseConfig();
  const manifest = { docs: manifestBase() };
  const mutations: string[] = [];
  const textual: { target: 'config' | 'manifest'; name: string }[] = [];
  for (let count = 1 + pick.int(3); count > 0; count--) {
    const target = pick.chance(0.35) ? 'config' : 'manifest';
    // Huge files are slow to write and read: a few percent of cases.
    const names = [...Object.keys(STRUCTURAL), ...Object.keys(STRUCTURAL), ...Object.keys(TEXTUAL).filter((n) => n !== 'hugeFile'), ...(pick.chance(0.1) ? ['hugeFile'] : [])];
    const name = pick.one(names);
    if (name in STRUCTURAL) mutations.push(`${target}: ${STRUCTURAL[name]!(target === 'config' ? config : manifest, pick)}`);
    else textual.push({ target, name });
  }
  let configText = stringify(config);
  const docs: unknown = manifest.docs;
  let manifestText = (Array.isArray(docs) ? docs : docs === undefined ? [] : [docs]).map((d) => stringify(d)).join('---\n');
  for (const { target, name } of textual) {
    mutations.push(`${target}: ${name}`);
    if (target === 'config') configText = TEXTUAL[name]!(configText, pick);
    else manifestText = TEXTUAL[name]!(manifestText, pick);
  }
  return { seed, mutations, config: configText, manifest: manifestText };
}
