/** Credentials in use (kubeconfig tokens and passwords): never printed, whoever echoes them back. */
const credentials = new Set<string>();

/** Marks `secret` as a credential: {@link printable} writes `<redacted>` in its place from now on. */
export function registerCredential(secret: string): void {
  // Short values would blank out ordinary words.
  if (secret.length >= 8) credentials.add(secret);
}

/**
 * Text made safe for a terminal and for logs: control characters (an escape sequence could set the window title,
 * move the cursor or fake output; a carriage return could overwrite a line) become visible `\xNN` escapes, except
 * newline and tab; credentials in use and any `Bearer`/`Basic` authorization value become `<redacted>`.
 */
export function printable(text: string, keep: 'lines' | 'none' = 'none'): string {
  let safe = text.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, '$1 <redacted>');
  for (const secret of credentials) safe = safe.split(secret).join('<redacted>');
  // eslint-disable-next-line no-control-regex
  return safe.replace(keep === 'lines' ? /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g : /[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
