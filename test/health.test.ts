import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { healthChecks } from '../lib/argocd/health-checks.ts';
import { fluxStatusOf, renderCel } from '../lib/health/cel.ts';
import { APPLICATION_HEALTH, HEALTH_RULES, type HealthStatus } from '../lib/health/rules.ts';
import { fluxHealth } from './support/flux-health.ts';
import { argoResourceHealth, runHealthScript } from './support/lua-health.ts';

const HEALTH_DIR = resolve(import.meta.dirname, '../lib/argocd/health');
const STATUS = { healthy: 'Healthy', progressing: 'Progressing', degraded: 'Degraded', suspended: 'Suspended', unknown: 'Unknown', missing: 'Missing' } as const;

// One data-driven test per fixture, as Argo CD's resource_customizations do: `<expected>_<case>.yaml` beside the
// script, with the expected message in a `# message:` comment. Adding a case is adding a file. The Application check
// (argo-cd docs/operator-manual/health.md "Argo CD App": the child's status.health) is among them.
for (const check of healthChecks({ applications: true })) {
  const dir = join(HEALTH_DIR, check.group, check.kind, 'testdata');
  const fixtures = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

  describe(`${check.group}/${check.kind} health`, () => {
    it.each(fixtures)('%s', (fixture) => {
      const text = readFileSync(join(dir, fixture), 'utf8');
      const expectedStatus = STATUS[fixture.split('_')[0] as keyof typeof STATUS];
      const expectedMessage = /^# message: (.*)$/m.exec(text)?.[1];
      const object = parse(text);
      expect(object.kind).toBe(check.kind);
      expect(argoResourceHealth(check.script, object)).toEqual({ status: expectedStatus, message: expectedMessage });
    });
  });
}

// The same rules rendered to Flux's healthCheckExprs, evaluated as fluxcd/pkg runtime/cel StatusEvaluator.Evaluate
// does, must give Flux's counterpart of the Lua script's answer on every fixture: Healthy is Current, Degraded is
// Failed, anything else InProgress; an object without status fails to evaluate (Unknown: not ready either).
for (const rules of [...HEALTH_RULES, APPLICATION_HEALTH]) {
  const dir = join(HEALTH_DIR, rules.group, rules.kind, 'testdata');
  const fixtures = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
  const entry = renderCel(rules);
  const script = healthChecks({ applications: true }).find((c) => c.kind === rules.kind)!.script;

  describe(`${rules.group}/${rules.kind}: Flux CEL agrees with the Lua script`, () => {
    it.each(fixtures)('%s', (fixture) => {
      const object = parse(readFileSync(join(dir, fixture), 'utf8'));
      const lua = runHealthScript(script, object).status as HealthStatus;
      expect(fluxHealth(entry, object)).toBe(object.status === undefined ? 'Unknown' : fluxStatusOf(lua));
    });
  });
}

describe('the health rules rendered to CEL', () => {
  it('end every kind with a rule that always applies, so the Lua script always returns and the CEL chain is total', () => {
    for (const rules of [...HEALTH_RULES, APPLICATION_HEALTH]) expect(rules.rules.at(-1)!.when).toBeUndefined();
  });

  it('never fail on a partial status: a status without the fields a rule reads is InProgress, not an error', () => {
    const entry = (kind: string) => renderCel(HEALTH_RULES.find((r) => r.kind === kind)!);
    const receiver = { spec: { runStrategy: 'WaitAsReceiver' }, metadata: {}, status: {} };
    expect(fluxHealth(entry('VirtualMachine'), receiver)).toBe('InProgress');
    expect(fluxHealth(entry('VirtualMachine'), { spec: {}, metadata: {}, status: { conditions: [{ type: 'Ready' }] } })).toBe('InProgress');
    expect(fluxHealth(entry('DataVolume'), { spec: { source: {} }, metadata: {}, status: { conditions: [{}] } })).toBe('InProgress');
    expect(fluxHealth(entry('VirtualMachineInstanceMigration'), { spec: {}, metadata: {}, status: {} })).toBe('InProgress');
    expect(fluxHealth(entry('VirtualMachineInstance'), { spec: {}, metadata: {}, status: {} })).toBe('InProgress');
  });

  it('give InProgress, Failed and Current exclusively, first rule first (a failed receiver that is also paused is Failed)', () => {
    const vm = HEALTH_RULES.find((r) => r.kind === 'VirtualMachine')!;
    const failedAndPaused = {
      metadata: {},
      spec: { runStrategy: 'WaitAsReceiver' },
      status: { conditions: [{ type: 'Failure', status: 'True' }, { type: 'Paused', status: 'True' }] },
    };
    expect(fluxHealth(renderCel(vm), failedAndPaused)).toBe('Failed');
    expect(runHealthScript(healthChecks().find((c) => c.kind === 'VirtualMachine')!.script, failedAndPaused).status).toBe('Degraded');
  });
});

describe('the health scripts themselves', () => {
  it('cover the four kinds, each with fixtures for every expected status it can give; Application only when asked for', () => {
    const kinds = ['cdi.kubevirt.io/DataVolume', 'kubevirt.io/VirtualMachine', 'kubevirt.io/VirtualMachineInstance', 'kubevirt.io/VirtualMachineInstanceMigration'];
    expect(healthChecks().map((c) => `${c.group}/${c.kind}`)).toEqual(kinds);
    expect(healthChecks({ applications: true }).map((c) => `${c.group}/${c.kind}`)).toEqual([...kinds, 'argoproj.io/Application']);
    // Flux orders its lanes by dependsOn: its health expressions stay those of the four kinds.
    expect(HEALTH_RULES.map((r) => r.kind)).not.toContain('Application');
  });

  it('Application: the health Argo CD gives the child, Progressing until it has one (the check argo-cd docs restore since 1.8)', () => {
    const script = healthChecks({ applications: true }).find((c) => c.kind === 'Application')!.script;
    const app = (status?: object) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'a' }, spec: {}, ...(status && { status }) });
    for (const health of ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown']) {
      expect(runHealthScript(script, app({ health: { status: health, message: 'from the child' } }))).toEqual({ status: health, message: 'from the child' });
    }
    expect(runHealthScript(script, app()).status).toBe('Progressing');
    expect(runHealthScript(script, app({ health: {} })).status).toBe('Progressing');
    expect(fluxHealth(renderCel(APPLICATION_HEALTH), app({ health: {} }))).toBe('InProgress');
  });

  it.each(healthChecks({ applications: true }).map((c) => [c.kind, c.script]))('%s uses Lua 5.1 syntax and no string library', (_, script) => {
    const code = script.replace(/--.*$/gm, '').replace(/"(?:[^"\\]|\\.)*"/g, '""');
    expect(code).not.toMatch(/\bstring\./);
    expect(code).not.toMatch(/\/\/|<<|>>|\bgoto\b|::\w+::|[^~=<>]~[^=]|&|\|/);
    expect(code).not.toMatch(/--#include/);
  });

  it("fails loudly when a script touches a library Argo CD's sandbox lacks (so the harness is real)", () => {
    expect(() => runHealthScript('return { status = string.upper("x") }', {})).toThrow(/Lua error/);
    expect(() => runHealthScript('local s = "x"; return { status = s:upper() }', {})).toThrow(/Lua error/);
    expect(() => runHealthScript('return { status = tostring(math.max(1, 2)) }', {})).toThrow(/Lua error/);
    expect(() => runHealthScript('return { status = os.date() }', {})).toThrow(/Lua error/);
    expect(() => runHealthScript('return { status = io.read() }', {})).toThrow(/Lua error/);
  });

  it('offers what the sandbox does: base (ipairs, pairs, tostring), table and package', () => {
    const script = 'local t = {}; table.insert(t, "a"); local s = ""; for _, v in ipairs(t) do s = tostring(#t) .. v end; return { status = s, message = type(package) }';
    expect(runHealthScript(script, {})).toEqual({ status: '1a', message: 'table' });
  });
});
