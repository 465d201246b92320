import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { DiagnosticBag, Location } from '../diagnostics.ts';

/** A path into a YAML document: map keys and sequence indexes. */
export type YamlPath = readonly (string | number)[];

/**
 * One parsed YAML document that still knows where each of its values came from, so that errors found later (schema,
 * semantics) can name the file, line and column.
 */
export class YamlDocument {
  public constructor(
    /** The file, as the user should see it (relative to the working directory where possible). */
    public readonly file: string,
    private readonly document: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** The document as plain data. */
  public toJS(): unknown {
    return this.document.toJS({ maxAliasCount: 100 });
  }

  /**
   * The location of the value at `path`, or of its key when `key` is set. When the path does not exist (a missing
   * field), the nearest existing ancestor is named.
   */
  public locate(path: YamlPath, options: { key?: boolean } = {}): Location {
    let node: unknown = this.document.contents;
    let located: Node | undefined = isNode(node) ? node : undefined;
    for (const [index, segment] of path.entries()) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) break;
        const wantKey = options.key && index === path.length - 1;
        located = wantKey && isNode(pair.key) ? pair.key : isNode(pair.value) ? pair.value : located;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
        node = node.items[segment];
        if (isNode(node)) located = node;
      } else {
        break;
      }
    }
    return this.position(located?.range?.[0] ?? 0);
  }

  private position(offset: number): Location {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col };
  }
}

/**
 * Parses YAML text into documents, reporting syntax errors and duplicate keys into `bag` with their positions.
 * Returns no documents when any error was found, so nothing downstream works on half-read input.
 */
export function parseYamlDocuments(file: string, text: string, bag: DiagnosticBag): YamlDocument[] {
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const parsed = Array.isArray(documents) ? documents : [];
  let failed = !Array.isArray(documents);
  for (const document of parsed) {
    for (const error of document.errors) {
      failed = true;
      const pos = error.linePos?.[0];
      bag.error(error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''), {
        file,
        line: pos?.line,
        column: pos?.col,
      });
    }
  }
  if (failed) return [];
  return parsed.filter((d) => d.contents !== null).map((d) => new YamlDocument(file, d, lines));
}
