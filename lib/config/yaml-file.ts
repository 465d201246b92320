import { CORE_SCHEMA, loadAll, Type, YAMLException } from 'js-yaml';
import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { DiagnosticBag, Location } from '../diagnostics.ts';

/**
 * YAML 1.2's core schema, plus merge keys (`<<: *defaults`), which configs use to share settings. js-yaml merges a
 * key resolved to this tag (its own merge type, not exported in its typings).
 */
const MERGE = new Type('tag:yaml.org,2002:merge', { kind: 'scalar', resolve: (data: unknown) => data === '<<' || data === null });
const SCHEMA = CORE_SCHEMA.extend({ implicit: [MERGE] });

/** Past these, a document is refused: a 1 KB file of nested aliases can expand to gigabytes of output. */
export const MAX_EXPANDED_VALUES = 1_000_000;
export const MAX_DEPTH = 64;

/**
 * Past these, a file is refused before or while it is read, so no input makes a run hang: its size (a fleet's
 * `kubectl get -o yaml` is a few MB), its documents (`---` repeated ten million times is 40 MB of empty documents),
 * and the time its documents take to load, checked between documents and while their values are walked.
 */
export interface YamlBounds {
  readonly documents: number;
  readonly milliseconds: number;
}
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
export const YAML_BOUNDS: YamlBounds = { documents: 10_000, milliseconds: 10_000 };

/** Thrown out of js-yaml's document callback when a bound is hit; reported as an error, never shown as a throw. */
class BoundExceeded extends Error {}

/** The 1-based line of the `count`th document marker (`---` at the start of a line), or undefined when there are not that many. */
function lineOfDocumentMarker(text: string, count: number): number | undefined {
  const marker = /^---(?=[\s]|$)/gm;
  for (let seen = 0; marker.exec(text); ) {
    if (++seen === count) return text.slice(0, marker.lastIndex).split('\n').length;
  }
  return undefined;
}

/** What is wrong with a loaded document as a whole, and where: too large once aliases expand, too deep, or a key no
 * Kubernetes object has that JavaScript treats specially. */
interface DocumentFault {
  readonly message: string;
  /** Where it is, when one place is to blame. */
  readonly path?: YamlPath;
}

function documentFault(data: unknown, deadline: number, bounds: YamlBounds): DocumentFault | undefined {
  let values = 0;
  // Every value of every config and manifest passes here: the walk allocates nothing until it finds a fault, whose
  // path is then built on the way back up.
  const under = (key: string | number, fault: DocumentFault | undefined) => fault?.path ? { ...fault, path: [key, ...fault.path] } : fault;
  const walk = (value: unknown, depth: number): DocumentFault | undefined => {
    if (++values > MAX_EXPANDED_VALUES) return { message: `the YAML expands to more than ${MAX_EXPANDED_VALUES.toLocaleString('en')} values (through aliases)` };
    if (depth > MAX_DEPTH) return { message: `the YAML is nested deeper than ${MAX_DEPTH} levels` };
    if (values % 65_536 === 0 && Date.now() >= deadline) return { message: timeMessage(bounds) };
    if (value === null || typeof value !== 'object') return undefined;
    if (Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        const fault = walk(value[index], depth + 1);
        if (fault) return under(index, fault);
      }
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (key === '__proto__') return { message: 'the key "__proto__" is not a field of any Kubernetes object', path: [key] };
      const fault = walk((value as Record<string, unknown>)[key], depth + 1);
      if (fault) return under(key, fault);
    }
    return undefined;
  };
  return walk(data, 0);
}

function timeMessage(bounds: YamlBounds): string {
  return `the YAML took longer than ${bounds.milliseconds / 1000} s to read (kvmigrate's bound on the time of one file)`;
}

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
    private readonly bounds: YamlBounds = YAML_BOUNDS,
  ) {}

  /**
   * The data of each non-empty document; undefined when the text is not valid YAML, with every fault in `bag`
   * (syntax, duplicate keys) at its line and column.
   */
  public load(bag: DiagnosticBag): unknown[] | undefined {
    const { bounds } = this;
    // Counted before parsing: empty documents cost js-yaml time but yield nothing to walk.
    const tooMany = lineOfDocumentMarker(this.text, bounds.documents + 1);
    if (tooMany !== undefined) {
      bag.error(`the file holds more than ${bounds.documents.toLocaleString('en')} YAML documents (kvmigrate's bound on documents per file)`, { file: this.file, line: tooMany, column: 1 }, 'split the file');
      return undefined;
    }
    const deadline = Date.now() + bounds.milliseconds;
    try {
      const documents: unknown[] = [];
      loadAll(
        this.text,
        (document) => {
          if (Date.now() >= deadline) throw new BoundExceeded(timeMessage(bounds));
          documents.push(document);
        },
        { schema: SCHEMA, filename: this.file },
      );
      const kept = documents.filter((d) => d !== null && d !== undefined);
      for (const [index, document] of kept.entries()) {
        const fault = documentFault(document, deadline, bounds);
        if (!fault) continue;
        if (fault.path) {
          bag.error(fault.message, this.locate(index, fault.path, { key: true }), 'remove it');
          return undefined;
        }
        if (fault.message === timeMessage(bounds)) {
          bag.error(fault.message, { file: this.file }, 'split the file');
          return undefined;
        }
        // Aliases are where expansion comes from: point at the first one.
        const alias = /(?:^|[\s,[{:])\*[^\s,\]}]+/m.exec(this.text);
        const before = this.text.slice(0, alias ? alias.index + alias[0].indexOf('*') : 0).split('\n');
        bag.error(fault.message, { file: this.file, line: before.length, column: before.at(-1)!.length + 1 }, 'write the values out, or split the file');
        return undefined;
      }
      return kept;
    } catch (error) {
      if (error instanceof BoundExceeded) {
        bag.error(error.message, { file: this.file }, 'split the file');
        return undefined;
      }
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

  /**
   * Reports the faults the way the `yaml` package words and places them, one per fault, moved to the line at fault
   * with a hint where the parser's position is not it (see `syntaxFault`); js-yaml's own when it finds none.
   */
  private reportSyntax(bag: DiagnosticBag, loadError: YAMLException): void {
    // js-yaml stops at its own depth bound (maxDepth, 100 nodes); the yaml package would only run out of stack there.
    if (loadError.reason.startsWith('nesting exceeded maxDepth')) {
      bag.error(`the YAML is nested deeper than ${MAX_DEPTH} levels`, { file: this.file, line: loadError.mark.line + 1, column: loadError.mark.column + 1 }, 'remove it');
      return;
    }
    const all = this.parsed().documents.flatMap((d) => d.errors);
    // A tab throws the parser off for the rest of the block: what else it finds follows from the tab.
    const tabs = all.filter((error) => error.code === 'TAB_AS_INDENT');
    const errors = tabs.length > 0 ? tabs : all;
    const lines = this.text.split('\n');
    const reported = new Set<string>();
    for (const error of errors) {
      const fault = syntaxFault(lines, {
        code: error.code,
        // The yaml package runs out of stack where nesting goes deep (it reports that as an error of its own): the
        // same fault js-yaml names by its depth bound.
        message: error.message.startsWith('Maximum call stack size exceeded') ? `the YAML is nested deeper than ${MAX_DEPTH} levels` : error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
        line: error.linePos?.[0].line,
        column: error.linePos?.[0].col,
      });
      // The parser often reports one fault twice at one place, and a tab once per indented line: one is enough.
      const key = fault.code === 'TAB_AS_INDENT' ? fault.code : `${fault.line}`;
      if (reported.has(key)) continue;
      reported.add(key);
      bag.error(fault.message, { file: this.file, line: fault.line, column: fault.column }, fault.hint);
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

/** A syntax error as the `yaml` package reports it (by `code`), or as it is reported after `syntaxFault`. */
interface SyntaxFault {
  readonly code: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
  readonly hint?: string;
}

const indentOf = (line: string) => /^ */.exec(line)![0].length;
const isContent = (line: string) => line.trim() !== '' && !line.trimStart().startsWith('#');

/**
 * Where a syntax fault really is, and how to mend it. The `yaml` package (lib/compose, lib/parse) reports an
 * over-indented key at the end of the line before it, as a compact mapping nested in the value there
 * (BLOCK_AS_IMPLICIT_KEY, MULTILINE_IMPLICIT_KEY); and `key:value` (no space) is a plain scalar, so a mapping that
 * follows it is a multi-line key. Tabs: one fault for the file, naming every line.
 */
function syntaxFault(lines: readonly string[], fault: SyntaxFault): SyntaxFault {
  const text = fault.line === undefined ? undefined : lines[fault.line - 1];
  if (fault.code === 'TAB_AS_INDENT') {
    const tabbed = lines.flatMap((line, i) => (/^ *\t/.test(line) ? [i + 1] : []));
    const others = tabbed.filter((n) => n !== fault.line);
    return {
      ...fault,
      message: `a tab indents this line${others.length > 0 ? ` (and line${others.length === 1 ? '' : 's'} ${others.join(', ')})` : ''}`,
      hint: 'YAML indents with spaces only: replace each tab with spaces',
    };
  }
  if (text === undefined) return fault;
  if (fault.code === 'BLOCK_AS_IMPLICIT_KEY' || fault.code === 'MULTILINE_IMPLICIT_KEY') {
    const missingSpace = /^[ -]*([\w.-]+):(?=[^\s:/])/.exec(text);
    if (missingSpace) {
      return {
        ...fault,
        message: `"${missingSpace[1]}:" has no space after the colon, so the line is one string, not a key and its value`,
        column: missingSpace[0].length,
        hint: `write "${missingSpace[1]}: ${text.slice(missingSpace[0].length).trim()}"`,
      };
    }
    const keyValue = /^( *(?:- +)*)([\w.-]+): +\S/.exec(text);
    const next = lines.findIndex((line, i) => i >= fault.line! && isContent(line));
    if (keyValue && next !== -1 && indentOf(lines[next]!) > keyValue[1]!.length) {
      const key = keyValue[2]!;
      return {
        ...fault,
        message: `this line is indented deeper than "${key}:" on line ${fault.line}, which already has a value`,
        line: next + 1,
        column: indentOf(lines[next]!) + 1,
        hint: `indent it ${keyValue[1]!.length} spaces, like "${key}:", or move "${key}:"'s value onto lines of its own below it`,
      };
    }
  }
  if (fault.code === 'BAD_INDENT') {
    return { ...fault, hint: 'every key of one mapping starts in the same column: line it up with the keys above it' };
  }
  return fault;
}
