/**
 * A unified diff of two texts, as `diff -u` prints it: `---`/`+++` headers, `@@ -a,b +c,d @@` hunks with three lines
 * of context. Lines are compared whole; the common head and tail are cut before the longest common subsequence is
 * found, so a small change in a large file costs little. Empty when the texts are equal.
 */
export function unifiedDiff(oldName: string, newName: string, oldText: string, newText: string, context = 3): string {
  if (oldText === newText) return '';
  const a = lines(oldText);
  const b = lines(newText);
  const edits = lineEdits(a, b);
  const hunks: string[] = [];
  let i = 0;
  while (i < edits.length) {
    if (edits[i]!.kind === ' ') {
      i++;
      continue;
    }
    // A hunk: this change, the changes within 2 * context lines of it, and context lines around them.
    let end = i;
    for (let j = i; j < edits.length; j++) {
      if (edits[j]!.kind !== ' ') end = j;
      else if (j - end > 2 * context) break;
    }
    const start = Math.max(0, i - context);
    const stop = Math.min(edits.length, end + context + 1);
    const slice = edits.slice(start, stop);
    const first = edits[start]!;
    const oldCount = slice.filter((e) => e.kind !== '+').length;
    const newCount = slice.filter((e) => e.kind !== '-').length;
    const range = (line: number, count: number) => `${count === 0 ? line - 1 : line},${count}`;
    hunks.push(`@@ -${range(first.oldLine, oldCount)} +${range(first.newLine, newCount)} @@\n${slice.map((e) => `${e.kind}${e.text}\n`).join('')}`);
    i = stop;
  }
  return `--- ${oldName}\n+++ ${newName}\n${hunks.join('')}`;
}

interface Edit {
  readonly kind: ' ' | '-' | '+';
  readonly text: string;
  /** 1-based line in the old text of this edit (or where it would be). */
  readonly oldLine: number;
  readonly newLine: number;
}

function lines(text: string): string[] {
  const split = text.split('\n');
  if (split.at(-1) === '') split.pop();
  return split;
}

/** Every line of `a` and `b` as kept, removed or added, in order, through a longest common subsequence. */
function lineEdits(a: readonly string[], b: readonly string[]): Edit[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  // lcs[i][j]: the longest common subsequence of midA[i..] and midB[j..].
  const lcs = Array.from({ length: midA.length + 1 }, () => new Uint32Array(midB.length + 1));
  for (let i = midA.length - 1; i >= 0; i--) {
    for (let j = midB.length - 1; j >= 0; j--) lcs[i]![j] = midA[i] === midB[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const edits: Edit[] = [];
  let oldLine = 1;
  let newLine = 1;
  const push = (kind: Edit['kind'], text: string) => {
    edits.push({ kind, text, oldLine, newLine });
    if (kind !== '+') oldLine++;
    if (kind !== '-') newLine++;
  };
  for (const line of a.slice(0, head)) push(' ', line);
  let i = 0;
  let j = 0;
  while (i < midA.length || j < midB.length) {
    if (i < midA.length && j < midB.length && midA[i] === midB[j]) {
      push(' ', midA[i++]!);
      j++;
    } else if (i < midA.length && (j === midB.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) push('-', midA[i++]!);
    else push('+', midB[j++]!);
  }
  for (const line of a.slice(a.length - tail)) push(' ', line);
  return edits;
}
