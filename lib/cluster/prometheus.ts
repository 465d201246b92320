/** Bytes a live migration has copied and has left, from the source node's virt-handler metrics. */
export interface TransferBytes {
  readonly processed?: number;
  readonly remaining?: number;
}

async function instantValue(url: string, query: string, timeoutMs: number): Promise<number | undefined> {
  const response = await fetch(`${url.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`Prometheus answered HTTP ${response.status}`);
  const body = (await response.json()) as { data?: { result?: { value?: [number, string] }[] } };
  const value = body.data?.result?.[0]?.value?.[1];
  return value === undefined ? undefined : Number(value);
}

/**
 * Reads `kubevirt_vmi_migration_data_processed_bytes` and `..._remaining_bytes` of VMI `namespace/name` (KubeVirt
 * keeps no byte counters in the API). Undefined values while the migration has not reported any.
 */
export async function transferBytes(url: string, namespace: string, name: string, timeoutMs = 5000): Promise<TransferBytes> {
  const selector = `{namespace="${namespace}",name="${name}"}`;
  const [processed, remaining] = await Promise.all([
    instantValue(url, `kubevirt_vmi_migration_data_processed_bytes${selector}`, timeoutMs),
    instantValue(url, `kubevirt_vmi_migration_data_remaining_bytes${selector}`, timeoutMs),
  ]);
  return { processed, remaining };
}
