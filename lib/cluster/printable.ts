/**
 * Text a cluster sent, made safe for a terminal: control characters (an escape sequence could set the window title,
 * move the cursor or fake output; a carriage return could overwrite a line) become visible `\xNN` escapes.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
