import fc from 'fast-check';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { manifestYaml, repeatedValueDumper } from '../lib/synth/yaml-output.ts';

/** What a YAML 1.1 reader (as Kubernetes tools use), a YAML 1.2 reader and js-yaml make of `text`. */
function readers(text: string): unknown[][] {
  const jsYaml: unknown[] = [];
  loadAll(text, (d) => jsYaml.push(d), { schema: CORE_SCHEMA });
  return [parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS()), parseAllDocuments(text).map((d) => d.toJS()), jsYaml];
}

// Strings that look like other types in YAML 1.1 or 1.2, and the characters that need quoting.
const tricky = fc.constantFrom('on', 'off', 'yes', 'No', 'y', 'N', '~', 'null', 'true', '0777', '0x1F', '1:20', '1_000', '.5', '1e3', 'e5', 'E0', '.inf', '2026-11-27', '2026-11-27T10:00:00Z', '<<', '=', '', ' ', '- x', 'a: b', '#c', '"q"', "'q'", '@x', '`x', '{a}', '[a]', '*a', '&a', '!t', '%d', '|', '>', '--vmi', 'a\nb', 'tab\there', 'trailing ');
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(tricky, fc.string(), fc.integer(), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x))),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.oneof(tricky, fc.string()), tie('node'), { maxKeys: 4 })),
})).node;

describe('manifest YAML', () => {
  it('every value reads back the same with YAML 1.1, YAML 1.2 and js-yaml', () => {
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.string(), value, { maxKeys: 5 }), { minLength: 1, maxLength: 3 }), (documents) => {
        const expected = JSON.parse(JSON.stringify(documents));
        for (const read of readers(manifestYaml(documents))) expect(read).toEqual(expected);
      }),
      { numRuns: Number(process.env.KVMIGRATE_PROPERTY_RUNS ?? 500), seed: process.env.KVMIGRATE_PROPERTY_RUNS ? undefined : 20261127 },
    );
  });

  it('quotes what YAML 1.1 would read as booleans, numbers or dates, and nothing else', () => {
    expect(manifestYaml([{ a: 'on', b: 'yes', c: '0777', d: '1:20', e: '2026-01-01', f: 'plain', g: 'Always' }])).toBe(
      'a: "on"\nb: "yes"\nc: "0777"\nd: "1:20"\ne: "2026-01-01"\nf: plain\ng: Always\n',
    );
    // Floats without leading digits: the look-alike test's first-character shortcut must let them through.
    expect(manifestYaml([{ a: 'E0', b: 'e5', c: '.5', d: 'east' }])).toBe('a: "E0"\nb: "e5"\nc: ".5"\nd: east\n');
  });

  it('writes multi-line strings as literal blocks and keeps key order unless asked to sort', () => {
    expect(manifestYaml([{ z: 1, a: '#cloud-config\nuser: x' }])).toBe('z: 1\na: |-\n  #cloud-config\n  user: x\n');
    expect(manifestYaml([{ z: 1, a: 2 }], { sortKeys: true })).toBe('a: 2\nz: 1\n');
    expect(manifestYaml([{ a: 1 }, { b: 2 }])).toBe('a: 1\n---\nb: 2\n');
  });

  describe('a value repeated at one path (repeatedAt)', () => {
    const PATH = ['spec', 'checks'];
    const placeholder = 'kvmigrate-repeated-value-placeholder';
    const repeated = fc.oneof(value, fc.constant(placeholder), fc.constant([{ kind: placeholder }]), fc.constant([]), fc.constant({}));
    // Objects holding the repeated value (a deep copy, so equality is by content), another value, or none there;
    // some hold the placeholder's text in their own data, which must not be taken for the spliced line.
    const documents = repeated.chain((shared) =>
      fc.tuple(
        fc.constant(shared),
        fc.array(
          fc.record({
            kind: fc.oneof(fc.string(), fc.constant(placeholder), fc.constant(`  checks: ${placeholder}`)),
            // The key's line with the placeholder, at the same depth, before or after the object's own.
            metadata: fc.oneof(fc.constant({ checks: placeholder }), fc.constant({})),
            spec: fc.oneof(
              fc.dictionary(fc.oneof(tricky, fc.string()), value, { maxKeys: 3 }).map((rest) => ({ ...rest, checks: structuredClone(shared) })),
              fc.record({ first: value, checks: fc.oneof(value, fc.constant(placeholder)), last: fc.oneof(fc.constant(placeholder), value) }),
              fc.dictionary(fc.string(), value, { maxKeys: 3 }),
              value,
            ),
            status: fc.oneof(fc.constant({ checks: placeholder }), fc.constant({})),
          }),
          { minLength: 1, maxLength: 4 },
        ),
      ),
    );

    it('writes the same bytes as dumping every object whole, sorted or not', () => {
      fc.assert(
        fc.property(documents, fc.boolean(), ([, objects], sortKeys) => {
          expect(manifestYaml(objects, { repeatedAt: PATH, sortKeys })).toBe(manifestYaml(objects, { sortKeys }));
        }),
        { numRuns: Number(process.env.KVMIGRATE_PROPERTY_RUNS ?? 500), seed: process.env.KVMIGRATE_PROPERTY_RUNS ? undefined : 20261204 },
      );
    });

    it('dumps the repeated value once, however many objects hold it', () => {
      const checks = [{ current: "status.phase == 'Succeeded'", failed: "status.phase == 'Failed'", kind: 'DataVolume' }];
      const objects = ['a', 'b', 'c'].map((name) => ({ metadata: { name }, spec: { checks: structuredClone(checks), path: `./${name}` } }));
      const dumped: unknown[] = [];
      const dumpObject = repeatedValueDumper(objects, PATH, (object) => {
        dumped.push(object);
        return manifestYaml([object]);
      });
      const text = objects.map(dumpObject).join('---\n');
      expect(text).toBe(manifestYaml(objects));
      const holdingChecks = dumped.filter((object) => JSON.stringify(object).includes('Succeeded'));
      // Once in the template that gives its text, then each object with the placeholder in its place.
      expect(holdingChecks).toHaveLength(1);
      expect(dumped).toHaveLength(2 + objects.length);
    });
  });
});

