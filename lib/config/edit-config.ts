import { lstatSync, readFileSync, statSync } from 'node:fs';
import { isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Pair, type YAMLMap } from 'yaml';
import type { MigrationPhase } from '../lifecycle.ts';
import { InputError, type Location } from '../diagnostics.ts';
import { displayPath } from './load-config.ts';

/** What a lifecycle step changed in one migration entry. */
export interface PhaseChange {
  readonly name: string;
  readonly vm: string;
  readonly from: MigrationPhase;
  readonly to: MigrationPhase;
  readonly attempt: number;
  /** An explicit migrationID that was removed, so the retry gets a fresh derived one. */
  readonly droppedMigrationID?: string;
}

export interface PhaseEdit {
  readonly phase: MigrationPhase;
  /** With abort: remove the receiver and its disks too. */
  readonly removeReceiver?: boolean;
  /** Start a new attempt (a retry): attempt + 1, so a new migrationID and new migration objects. */
  readonly newAttempt?: boolean;
}

/** Why a step cannot follow `from`: cutover is final, and only a migration still migrating can be cut over. */
function refuseTransition(from: MigrationPhase, edit: PhaseEdit): string | undefined {
  if (from === 'cutover') return 'the VM has moved and cutover is final; there is nothing to abort or retry';
  if (edit.phase === 'cutover' && from !== 'migrate') return 'only a migration in phase migrate can be cut over (retry it first)';
  return undefined;
}

/**
 * The text of a config kvmigrate is about to edit: a clean error (nothing changed) when it is missing, a dangling
 * symlink, or read-only (the user protected it; a rename would replace it anyway).
 */
export function readEditableConfig(configPath: string): string {
  const file = displayPath(configPath);
  let stats;
  try {
    stats = statSync(configPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'ELOOP') throw error;
    const dangling = code !== 'ENOTDIR' && lstatExists(configPath);
    throw new InputError([{ severity: 'error', message: dangling ? 'the config is a symlink to nothing' : 'config file not found', location: { file }, hint: 'pass --config FILE, set KVMIGRATE_CONFIG, or create migrations.yaml' }]);
  }
  if (!stats.isFile()) throw new InputError([{ severity: 'error', message: 'the config is not a regular file', location: { file } }]);
  // By its mode bits, not access(2): as root every file is writable, and a read-only mode is still the user's word.
  if ((stats.mode & 0o222) === 0) {
    throw new InputError([{ severity: 'error', message: 'the config is read-only; nothing was changed', location: { file }, hint: `make it writable (chmod u+w ${file}) to let kvmigrate edit it` }]);
  }
  return readFileSync(configPath, 'utf8');
}

/** Like {@link readEditableConfig}, but undefined when there is no config at all (not even a dangling link): a new one. */
export function readEditableConfigIfAny(configPath: string): string | undefined {
  return lstatExists(configPath) ? readEditableConfig(configPath) : undefined;
}

function lstatExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Anchors that an alias somewhere in the document refers to: a node carrying one is shared. */
function referencedAnchors(document: Document.Parsed): Set<string> {
  const names = new Set<string>();
  visit(document, { Alias: (_, alias) => void names.add(alias.source) });
  return names;
}

/** Whether `node` or anything under it carries an anchor some alias refers to. */
function holdsSharedAnchor(node: unknown, shared: ReadonlySet<string>): boolean {
  if (!isNode(node)) return false;
  let found = false;
  const check = (n: { anchor?: string }) => {
    if (n.anchor && shared.has(n.anchor)) found = true;
  };
  check(node);
  if (isMap(node) || isSeq(node)) {
    visit(node, { Node: (_, n) => (isAlias(n) ? undefined : check(n as { anchor?: string })) });
  }
  return found;
}

/** The values an entry takes from its merge keys (`<<: *defaults`), as synthesis reads them (an earlier source wins). */
function inheritedValues(document: Document.Parsed, entry: YAMLMap): Record<string, unknown> {
  // With `merge: true`, yaml reads a `<<` key as a symbol.
  const merge = entry.items.find((p) => isScalar(p.key) && typeof p.key.value === 'symbol');
  if (!merge || !isNode(merge.value)) return {};
  const value = merge.value.toJS(document) as unknown;
  const sources = (Array.isArray(value) ? value : [value]).filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null);
  return Object.assign({}, ...sources.reverse());
}

/**
 * Sets the phase of the migration named `target` (its `name`, or its `vm` when it has none) in the config text,
 * keeping its comments and layout (yaml's Document API). The entry is read as synthesis reads it, merge keys
 * included. Returns the new text; writes nothing.
 */
export function editMigrationPhase(configPath: string, target: string, edit: PhaseEdit): { text: string; change: PhaseChange } {
  const file = displayPath(configPath);
  const text = readEditableConfig(configPath);
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, uniqueKeys: true, merge: true });
  const at = (offset: number | undefined): Location => ({ file, ...(offset === undefined ? {} : { line: lines.linePos(offset).line, column: lines.linePos(offset).col }) });
  if (document.errors.length > 0) throw new InputError([{ severity: 'error', message: `${document.errors[0]!.message.split('\n')[0]}; fix the file first`, location: { file } }]);
  const migrations = document.get('migrations', true);
  if (!isSeq(migrations)) throw new InputError([{ severity: 'error', message: 'the config has no `migrations:` list', location: at(0) }]);
  const entries = migrations.items.filter((item): item is YAMLMap => isMap(item));
  const read = (entry: YAMLMap) => entry.toJS(document) as Record<string, unknown>;
  const nameOf = (entry: YAMLMap) => String(read(entry).name ?? read(entry).vm);
  const matches = entries.filter((entry) => nameOf(entry) === target);
  const byVm = matches.length > 0 ? matches : entries.filter((entry) => String(read(entry).vm) === target);
  if (byVm.length !== 1) {
    const known = entries.map(nameOf).join(', ') || 'none';
    const message = byVm.length === 0 ? `no migration named "${target}" (migrations: ${known})` : `"${target}" matches ${byVm.length} migrations of that VM: name one by its \`name\``;
    throw new InputError([{ severity: 'error', message, location: at(migrations.range?.[0]) }]);
  }
  const entry = byVm[0]!;
  const refuse = (message: string, hint: string): never => {
    throw new InputError([{ severity: 'error', message: `migration "${nameOf(entry)}" ${message}`, location: at(entry.range?.[0]), hint: `${hint}; nothing was changed` }]);
  };
  if (entry.flow) refuse('is written as a flow map ({ ... }), which kvmigrate does not edit in place', 'write the entry in block style (one key per line), then run the command again');
  const effective = read(entry);
  const from = (effective.phase as MigrationPhase | undefined) ?? 'migrate';
  const refusal = refuseTransition(from, edit);
  if (refusal) throw new InputError([{ severity: 'error', message: `migration "${nameOf(entry)}" is in phase ${from}: ${refusal}`, location: at(entry.range?.[0]) }]);
  let attempt = Number(effective.attempt ?? 1);
  let droppedMigrationID: string | undefined;

  // An edit changes exactly the entry it names: never a node an alias elsewhere shares.
  const shared = referencedAnchors(document);
  const touched = ['phase', 'abort', 'attempt', 'migrationID'].map((key) => entry.items.find((p) => isScalar(p.key) && p.key.value === key)?.value);
  if ((entry.anchor && shared.has(entry.anchor)) || touched.some((value) => holdsSharedAnchor(value, shared))) {
    refuse('shares an anchor (&name) with other entries, so editing it would change them too', 'write the shared value out under this entry (or move the anchor to a `x-` key), then run the command again');
  }
  const inherited = inheritedValues(document, entry);
  const edits = new EntryEdits(text, entry);
  /** Removes an own key; where a merge key would then supply a value, writes `explicit` instead (or refuses). */
  const unset = (key: string, explicit?: string) => {
    if (!(key in inherited)) return edits.remove(key);
    if (explicit === undefined) refuse(`takes \`${key}\` from a merge key (<<), and this step must remove it`, `write the entry's own \`${key}\` out of the merged map, then run the command again`);
    edits.set(key, explicit!);
  };
  // Removals first: new keys go after the last key that stays.
  if (edit.phase === 'migrate') unset('phase', 'migrate');
  if (!(edit.phase === 'abort' && edit.removeReceiver) && effective.abort !== undefined) unset('abort', '{ removeReceiver: false }');
  if (edit.newAttempt && effective.migrationID !== undefined) {
    // KubeVirt needs a fresh migrationID for a retry; the derived one changes with the attempt.
    droppedMigrationID = String(effective.migrationID);
    unset('migrationID');
  }
  if (edit.phase !== 'migrate') edits.set('phase', edit.phase);
  if (edit.phase === 'abort' && edit.removeReceiver) edits.set('abort', '{ removeReceiver: true }');
  if (edit.newAttempt) {
    attempt += 1;
    edits.set('attempt', String(attempt));
  }
  return { text: edits.apply(), change: { name: nameOf(entry), vm: String(effective.vm), from, to: edit.phase, attempt, droppedMigrationID } };
}

/**
 * Text edits of one block-style migration entry, so that everything else in the file stays byte for byte: comments,
 * spacing, quoting and flow maps. Keys are set in place, appended as a line at the entry's indentation, or removed
 * with their lines.
 */
class EntryEdits {
  private readonly edits: { start: number; end: number; text: string }[] = [];
  private readonly removed = new Set<string>();
  private readonly indent: string;
  /** The file's line ending, kept for the lines added. */
  private readonly eol: string;

  public constructor(
    private readonly text: string,
    private readonly entry: YAMLMap,
  ) {
    const firstKey = (entry.items[0] as Pair<{ range?: number[] }> | undefined)?.key?.range?.[0] ?? 0;
    this.indent = ' '.repeat(firstKey - this.lineStart(firstKey));
    this.eol = text.includes('\r\n') ? '\r\n' : '\n';
  }

  private lineStart(offset: number): number {
    return this.text.lastIndexOf('\n', offset - 1) + 1;
  }

  private lineEnd(offset: number): number {
    const end = this.text.indexOf('\n', offset);
    return end === -1 ? this.text.length : end;
  }

  private pair(key: string): Pair<{ range?: number[]; value?: unknown }, { range?: number[] }> | undefined {
    return this.entry.items.find((p) => isScalar(p.key) && p.key.value === key) as never;
  }

  /** Sets `key` to `value` (YAML text): in place when the key exists, else as a new line after the last key kept. */
  public set(key: string, value: string): void {
    const existing = this.pair(key);
    const range = existing?.value?.range;
    if (existing && range) {
      // A scalar is replaced where it stands; a nested block after the key's colon.
      const start = isScalar(existing.value) || isAlias(existing.value) ? range[0]! : this.text.indexOf(':', existing.key!.range![1]!) + 1;
      // A block value's range ends after its last line break, which stays: the next key keeps its own line.
      let end = range[1]!;
      while (end > start && /\s/.test(this.text[end - 1]!)) end--;
      this.edits.push({ start, end, text: start === range[0] ? value : ` ${value}` });
      return;
    }
    const kept = this.entry.items.filter((p) => !(isScalar(p.key) && this.removed.has(String(p.key.value))));
    const last = kept.at(-1) as Pair<unknown, { range?: number[] }> | undefined;
    const end = this.lineEnd(Math.max((last?.value?.range?.[1] ?? this.entry.range?.[1] ?? 1) - 1, 0));
    // Before a CRLF's carriage return, so the line added ends like the others.
    const at = this.text[end - 1] === '\r' ? end - 1 : end;
    this.edits.push({ start: at, end: at, text: `${this.eol}${this.indent}${key}: ${value}` });
  }

  /** Removes `key` with its lines. */
  public remove(key: string): void {
    const existing = this.pair(key);
    const keyStart = existing?.key?.range?.[0];
    if (!existing || keyStart === undefined) return;
    this.removed.add(key);
    const valueEnd = existing.value?.range?.[1] ?? existing.key!.range![1]!;
    const end = this.lineEnd(Math.max(valueEnd - 1, keyStart));
    if (/\S/.test(this.text.slice(this.lineStart(keyStart), keyStart))) {
      // The entry's first key, on the `- ` line: the next line moves up after the dash, without its indentation.
      this.edits.push({ start: keyStart, end: Math.min(end + 1 + this.indent.length, this.text.length), text: '' });
      return;
    }
    const start = this.lineStart(keyStart);
    this.edits.push({ start, end: Math.min(end + 1, this.text.length), text: '' });
  }

  public apply(): string {
    let result = this.text;
    // From the end backwards, so earlier offsets stay valid; at one offset, the edit recorded first ends up first.
    const ordered = this.edits.map((edit, index) => ({ ...edit, index })).sort((a, b) => b.start - a.start || b.index - a.index);
    for (const edit of ordered) {
      result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
    }
    return result;
  }
}

/** A new migrations.yaml entry, as `kvmigrate pull --add` writes it. */
export interface NewMigration {
  readonly vm: string;
  readonly sourceNamespace: string;
  /** Path of the source manifest, relative to the config file. */
  readonly manifest: string;
  readonly destinationNamespace: string;
  readonly sourceCluster?: string;
  readonly destinationCluster?: string;
}

/** A path as a YAML scalar: plain when it can only be read as itself, else double-quoted. */
function pathScalar(path: string): string {
  return /^[A-Za-z0-9._/-]+$/.test(path) && !/^[-.]/.test(path) ? path : JSON.stringify(path);
}

function entryLines(entry: NewMigration): string[] {
  return [
    `- vm: ${entry.vm}`,
    '  source:',
    `    namespace: ${entry.sourceNamespace}`,
    `    manifest: ${pathScalar(entry.manifest)}`,
    ...(entry.sourceCluster ? [`    cluster: ${entry.sourceCluster}`] : []),
    '  destination:',
    `    namespace: ${entry.destinationNamespace}`,
    ...(entry.destinationCluster ? [`    cluster: ${entry.destinationCluster}`] : []),
  ];
}

/**
 * The config text with `entry` appended to its `migrations` list, everything else byte for byte. `text` undefined
 * starts a new config. Refuses a second entry for the same VM.
 */
export function appendMigration(configPath: string, text: string | undefined, entry: NewMigration): string {
  if (text === undefined) return `# kvmigrate: the live migrations to compile (\`kvmigrate synth\`).\nmigrations:\n${entryLines(entry).map((l) => `  ${l}`).join('\n')}\n`;
  const file = displayPath(configPath);
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) throw new InputError([{ severity: 'error', message: `${document.errors[0]!.message.split('\n')[0]}; fix the file first`, location: { file } }]);
  const migrations = document.get('migrations', true);
  const exists = isSeq(migrations) && migrations.items.some((item) => isMap(item) && item.get('vm') === entry.vm && (item.get('source') as YAMLMap | undefined)?.get?.('namespace') === entry.sourceNamespace);
  if (exists) throw new InputError([{ severity: 'error', message: `${file} already migrates VM ${entry.sourceNamespace}/${entry.vm}`, location: { file } }]);
  if (!isSeq(migrations) || migrations.flow) {
    if (isSeq(migrations) && migrations.items.length > 0) throw new InputError([{ severity: 'error', message: 'migrations is a flow list; add the entry by hand', location: { file } }]);
    // No list yet (or `migrations: []`): write a block list in its place, or at the end.
    const block = `\n${entryLines(entry).map((l) => `  ${l}`).join('\n')}`;
    if (isSeq(migrations) && migrations.range) return text.slice(0, migrations.range[0]).replace(/[ \t]+$/, '') + block + text.slice(migrations.range[1]);
    return `${text.replace(/\n*$/, '\n')}migrations:${block}\n`;
  }
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const first = migrations.items[0] as { range?: number[] } | undefined;
  const dash = first?.range ? text.lastIndexOf('-', first.range[0]) : -1;
  const indent = dash >= 0 ? ' '.repeat(dash - (text.lastIndexOf('\n', dash) + 1)) : '  ';
  const end = migrations.range![1]!;
  // After the line the list ends on.
  const lineEnd = text.indexOf('\n', end - 1);
  const at = lineEnd === -1 ? text.length : text[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd;
  return `${text.slice(0, at)}${eol}${entryLines(entry).map((l) => `${indent}${l}`).join(eol)}${text.slice(at)}`;
}
