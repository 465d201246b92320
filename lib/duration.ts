/** Whole seconds as `1h2m3s`, `2m3s` or `3s`; `-` for none. */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}
