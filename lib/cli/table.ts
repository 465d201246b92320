/** Renders rows as aligned columns, kubectl style: upper-case headers, two spaces between columns. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], indent = ''): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visibleLength(cell))))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** Length without ANSI colour codes. */
function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

/** Colours text for a terminal; plain when colour is off (no TTY, or NO_COLOR set). */
export function paint(enabled: boolean, colour: 'red' | 'green' | 'yellow' | 'dim', text: string): string {
  if (!enabled) return text;
  const code = { red: 31, green: 32, yellow: 33, dim: 2 }[colour];
  return `\x1b[${code}m${text}\x1b[0m`;
}
