// The label and annotation rules synthesis applies to what it copies from the source VM (lib/kubernetes/validation.ts,
// mirroring apimachinery `ValidateLabels` / `ValidateAnnotations`: qualified-name keys, label values, annotation keys
// lowercased) held to the real API server's verdict on the same keys and values: a ConfigMap's metadata is validated
// by the same ObjectMeta code as a VirtualMachine's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelValueErrors, qualifiedNameErrors } from '../../lib/kubernetes/validation.ts';
import { RealApiServer, realApiServerAvailable } from '../support/real-api-server.ts';

const NAMESPACE = 'metadata-rules';
const KEYS = ['app', 'example.com/app', 'Example.com/app', 'example.com/App_1.x', '-x', 'x-', '', 'x/y/z', 'bad key', '/x', 'x/', 'a'.repeat(63), 'a'.repeat(64), `${'a'.repeat(253)}/x`, `${'a'.repeat(254)}/x`, 'kubevirt.io/ü'];
const VALUES = ['', 'v', 'V_1.x', '-v', 'v-', 'a b', 'a'.repeat(63), 'a'.repeat(64), 'x/y'];

let server: RealApiServer;
let count = 0;
beforeAll(async () => {
  server = await RealApiServer.start();
  await server.namespaces(NAMESPACE);
});
afterAll(() => server?.stop());

/** Whether the real server takes a ConfigMap with this metadata (201) or refuses it as invalid (422). */
async function accepted(metadata: { labels?: Record<string, string>; annotations?: Record<string, string> }): Promise<boolean> {
  const answer = await server.request('POST', `/api/v1/namespaces/${NAMESPACE}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${(count += 1)}`, ...metadata } });
  if (answer.status !== 201 && answer.status !== 422) throw new Error(`unexpected ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.status === 201;
}

describe.skipIf(!realApiServerAvailable)('label and annotation rules against the real API server (apimachinery ValidateLabels, ValidateAnnotations)', () => {
  it('label keys: kvmigrate refuses exactly what the server refuses', async () => {
    const verdicts = await Promise.all(KEYS.map(async (key) => ({ key, server: await accepted({ labels: { [key]: 'v' } }), kvmigrate: qualifiedNameErrors(key).length === 0 })));
    expect(verdicts.filter((v) => v.server !== v.kvmigrate)).toEqual([]);
    // Both verdicts occur, so the comparison says something.
    expect(new Set(verdicts.map((v) => v.server))).toEqual(new Set([true, false]));
  });

  it('label values: kvmigrate refuses exactly what the server refuses', async () => {
    const verdicts = await Promise.all(VALUES.map(async (value) => ({ value, server: await accepted({ labels: { app: value } }), kvmigrate: labelValueErrors(value).length === 0 })));
    expect(verdicts.filter((v) => v.server !== v.kvmigrate)).toEqual([]);
    expect(new Set(verdicts.map((v) => v.server))).toEqual(new Set([true, false]));
  });

  it('annotation keys (lowercased before the check): kvmigrate refuses exactly what the server refuses', async () => {
    const verdicts = await Promise.all(KEYS.map(async (key) => ({ key, server: await accepted({ annotations: { [key]: 'any value at all' } }), kvmigrate: qualifiedNameErrors(key.toLowerCase()).length === 0 })));
    expect(verdicts.filter((v) => v.server !== v.kvmigrate)).toEqual([]);
    expect(verdicts.find((v) => v.key === 'Example.com/app')).toMatchObject({ server: true });
  });
});
