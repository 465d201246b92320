// The README's YAML and shell blocks, exercised: a block that no longer matches the code fails here, so the README
// cannot drift from it. Config blocks are loaded and validated as `kvmigrate synth` loads them; every kvmigrate
// command line is parsed against the command's real option table (lib/cli/usage.ts), strictly, as main parses it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { USAGE } from '../lib/cli/usage.ts';
import { loadConfig } from '../lib/config/load-config.ts';
import { DiagnosticBag, formatDiagnostic } from '../lib/diagnostics.ts';
import { Workspace } from './support/builders.ts';
import { root } from './support/processes.ts';

const README = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = (language: string) => [...README.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);

/** The kvmigrate invocations in a shell block: `kvmigrate ...` or `npx kvmigrate ...`, up to a pipe, `&&`, `;`, `)` or comment. */
function invocations(block: string): string[][] {
  return [...block.matchAll(/(?:^|[\s(;&|$]|\$\()(?:npx )?kvmigrate ((?:[^|;&)#\n"]|"[^"]*")*)/g)].map((m) =>
    [...m[1]!.trim().matchAll(/"[^"]*"|\S+/g)].map((word) => word[0].replace(/^"|"$/g, '')),
  );
}

describe('README', () => {
  it('every YAML block parses, and a migrations config loads and validates as synth loads it', () => {
    const yamlBlocks = blocks('yaml');
    expect(yamlBlocks.length).toBeGreaterThan(0);
    for (const block of yamlBlocks) {
      expect(parseAllDocuments(block).flatMap((d) => d.errors.map((e) => e.message))).toEqual([]);
      if (!/^migrations:/m.test(block)) continue;
      const workspace = new Workspace();
      workspace.write('migrations.yaml', block);
      workspace.write('vms/vm-migration-ns-ns-live.yaml', readFileSync(join(root, 'vms/vm-migration-ns-ns-live.yaml'), 'utf8'));
      const bag = new DiagnosticBag();
      loadConfig(workspace.path('migrations.yaml'), bag);
      expect(bag.errors.map(formatDiagnostic)).toEqual([]);
    }
  });

  it('every kvmigrate command line in a shell block names a command and only its options', () => {
    const lines = blocks('sh').flatMap(invocations);
    expect(lines.length).toBeGreaterThan(10);
    for (const [name, ...args] of lines) {
      if (name === 'help') {
        expect(Object.keys(USAGE)).toContain(args[0]);
        continue;
      }
      expect(Object.keys(USAGE), `kvmigrate ${name}`).toContain(name);
      const usage = USAGE[name as keyof typeof USAGE];
      expect(() => parseArgs({ args, options: { ...usage.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }), `kvmigrate ${name} ${args.join(' ')}`).not.toThrow();
    }
  });

  it('the quick start comes first, and uses pull, preflight, synth, status, cutover, abort and retry', () => {
    expect(README.indexOf('## Quick start')).toBeLessThan(README.indexOf('## Configuration'));
    const quickStart = README.slice(README.indexOf('## Quick start'), README.indexOf('\n## ', README.indexOf('## Quick start') + 1));
    const commands = [...quickStart.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => invocations(m[1]!)).map(([name]) => name);
    for (const command of ['pull', 'preflight', 'synth', 'status', 'cutover', 'abort', 'retry']) expect(commands).toContain(command);
  });
});
