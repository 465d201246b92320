import { CORE_SCHEMA, loadAll, YAMLException } from 'js-yaml';
import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { DiagnosticBag, Location } from '../diagnostics.ts';

/** A path into a YAML document: map keys and sequence indexes. */
export type YamlPath = readonly (string | number)[];

/** Points at a field of one document, for diagnostics. */
export type Locator = (path: YamlPath, options?: { key?: boolean }) => Location;

/**
 * A YAML file read twice over, each time with the tool that fits: js-yaml loads the data (an order of magnitude
 * faster, which matters for fleets of thousands of VMs), and the `yaml` package's Document API, which keeps every
 * node's position, is only brought in when a diagnostic needs a line and column. Both read YAML 1.2's core schema,
 * so `on` stays a string and timestamps stay strings.
 */
export class YamlFile {
  private positions?: { documents: Document.Parsed[]; lines: LineCounter };

  public constructor(
    /** The file, as the user should see it. */
    public readonly file: string,
    private readonly text: string,
  ) {}

  /**
   * The data of each non-empty document; undefined when the text is not valid YAML, with every fault in `bag`
   * (syntax, duplicate keys) at its line and column.
   */
  public load(bag: DiagnosticBag): unknown[] | undefined {
    try {
      const documents: unknown[] = [];
      loadAll(this.text, (document) => documents.push(document), { schema: CORE_SCHEMA, filename: this.file });
      return documents.filter((d) => d !== null && d !== undefined);
    } catch (error) {
      if (!(error instanceof YAMLException)) throw error;
      this.reportSyntax(bag, error);
      return undefined;
    }
  }

  /** A locator for the `index`th non-empty document. */
  public locator(index: number): Locator {
    return (path, options) => this.locate(index, path, options);
  }

  private parsed(): { documents: Document.Parsed[]; lines: LineCounter } {
    if (!this.positions) {
      const lines = new LineCounter();
      const documents = parseAllDocuments(this.text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
      this.positions = { documents: Array.isArray(documents) ? documents : [], lines };
    }
    return this.positions;
  }

  /** Reports the faults the way the `yaml` package words and places them; js-yaml's own when it finds none. */
  private reportSyntax(bag: DiagnosticBag, loadError: YAMLException): void {
    const errors = this.parsed().documents.flatMap((d) => d.errors);
    for (const error of errors) {
      const pos = error.linePos?.[0];
      bag.error(error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''), { file: this.file, line: pos?.line, column: pos?.col });
    }
    if (errors.length === 0) {
      bag.error(loadError.reason, { file: this.file, line: loadError.mark.line + 1, column: loadError.mark.column + 1 });
    }
  }

  /**
   * The location of the value at `path` in the `index`th non-empty document, or of its key when `key` is set. When
   * the path does not exist (a missing field), the nearest existing ancestor is named.
   */
  private locate(index: number, path: YamlPath, options: { key?: boolean } = {}): Location {
    const { documents, lines } = this.parsed();
    const document = documents.filter((d) => d.contents !== null)[index];
    let node: unknown = document?.contents;
    let located: Node | undefined = isNode(node) ? node : undefined;
    for (const [depth, segment] of path.entries()) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) break;
        const wantKey = options.key && depth === path.length - 1;
        located = wantKey && isNode(pair.key) ? pair.key : isNode(pair.value) ? pair.value : located;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
        node = node.items[segment];
        if (isNode(node)) located = node;
      } else {
        break;
      }
    }
    const { line, col } = lines.linePos(located?.range?.[0] ?? 0);
    return { file: this.file, line, column: col };
  }
}
