// Hostile and sloppy inputs for kvmigrate synth: mutations of a valid config and source manifest, structural (a
// value replaced by anything, a key dropped or added, prototype keys) and textual (garbage bytes, a BOM, a duplicated
// line, an alias bomb, deep nesting, a huge scalar). Used by the bounded fuzz test and by `npm run fuzz`.
import fc from 'fast-check';
import { stringify } from 'yaml';
import { migration, vm, withClaim, withDataVolume, withDataVolumeTemplate, withVolume } from './builders.ts';

type Json = Record<string, any>;

export const baseConfig = (): Json => ({ storageClassMap: { fast: 'fast' }, migrations: [migration('web', { disks: { root: { size: '20Gi' } } })] });
export const baseManifest = (): Json[] => [
  vm(
    'web',
    withDataVolume('root', 'web-root'),
    withDataVolumeTemplate('web-root', { size: '10Gi', storageClassName: 'fast', accessModes: ['ReadWriteOnce'] }),
    withClaim('data', 'web-data'),
    withVolume({ name: 'ci', cloudInitNoCloud: { userData: '#cloud-config\n' } }),
  ),
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'web-data', namespace: 'src' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } },
];

/** Every path to a value in `data`. */
function paths(data: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (data === null || typeof data !== 'object') return [prefix];
  const entries = Array.isArray(data) ? data.map((v, i) => [i, v] as const) : Object.entries(data as Json);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('ReadWriteMany', '-5Gi', 'lots', '0', 'Web_1', 'a'.repeat(300), 'x\ny: z', '__proto__', 'constructor', '😀', '', null, [], {}),
);

/** A structural mutation: at a random path, replace the value, delete it, or add a key. */
export const structural = fc.record({ pick: fc.nat(), action: fc.constantFrom('replace', 'delete', 'add'), value: hostileValue, key: fc.constantFrom('__proto__', 'constructor', 'toString', 'x', 'size') });

export function mutate(data: Json, m: { pick: number; action: string; value: unknown; key: string }): Json {
  const copy = structuredClone(data);
  const all = paths(copy).filter((p) => p.length > 0);
  const path = all[m.pick % all.length]!;
  const parent = path.slice(0, -1).reduce((node: any, k) => node[k], copy);
  const last = path.at(-1)!;
  if (m.action === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (m.action === 'add' && parent && typeof parent === 'object' && !Array.isArray(parent)) {
    Object.defineProperty(parent, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
  } else parent[last] = m.value;
  return copy;
}

const aliasBomb = (depth: number) => {
  let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
  for (let i = 1; i < depth; i++) text += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
  return text;
};

/** A textual mutation of a file's YAML text. */
const textual = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.string({ unit: 'binary', maxLength: 8 }) }),
  fc.record({ kind: fc.constant('bom' as const) }),
  fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('alias-bomb' as const), depth: fc.integer({ min: 2, max: 9 }) }),
  fc.record({ kind: fc.constant('deep' as const), depth: fc.integer({ min: 50, max: 400 }) }),
  fc.record({ kind: fc.constant('huge-scalar' as const), length: fc.integer({ min: 10_000, max: 200_000 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

type TextMutation = typeof textual extends fc.Arbitrary<infer T> ? T : never;

function mutateText(text: string, m: TextMutation): string {
  switch (m.kind) {
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.bytes + text.slice(at);
    }
    case 'bom':
      return `\uFEFF${text}`;
    case 'duplicate-line': {
      const lines = text.split('\n');
      const i = m.at % lines.length;
      lines.splice(i, 0, lines[i]!);
      return lines.join('\n');
    }
    case 'alias-bomb':
      return `${aliasBomb(m.depth)}${text}`;
    case 'deep':
      return `${text}\nx-deep: ${'['.repeat(m.depth)}${']'.repeat(m.depth)}\n`;
    case 'huge-scalar':
      return text.replace('namespace: dst', `namespace: ${'d'.repeat(m.length)}`);
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
  }
}

/** One fuzz case: which file is mutated, and how. */
export const fuzzCase = fc.record({
  target: fc.constantFrom('config', 'manifest'),
  structural: fc.option(structural, { nil: undefined }),
  textual: fc.option(textual, { nil: undefined }),
});

export type FuzzCase = typeof fuzzCase extends fc.Arbitrary<infer T> ? T : never;

/** The config and manifest texts of a case. */
export function fuzzFiles(c: FuzzCase): { config: string; manifest: string } {
  let config = baseConfig();
  let manifest = baseManifest();
  if (c.structural && c.target === 'config') config = mutate(config, c.structural);
  if (c.structural && c.target === 'manifest') manifest = mutate({ docs: manifest }, c.structural).docs ?? [];
  let configText = stringify(config);
  let manifestText = (Array.isArray(manifest) ? manifest : [manifest]).map((d) => stringify(d)).join('---\n');
  if (c.textual && c.target === 'config') configText = mutateText(configText, c.textual);
  if (c.textual && c.target === 'manifest') manifestText = mutateText(manifestText, c.textual);
  return { config: configText, manifest: manifestText };
}
