import type { YamlPath } from './config/yaml-file.ts';

/** Where a diagnostic points: a position in a file, or an object and field when no file is involved. */
export interface Location {
  readonly file: string;
  /** 1-based; absent when only the file is known. */
  readonly line?: number;
  /** 1-based. */
  readonly column?: number;
}

export type Severity = 'error' | 'warning';

/** One finding about the user's input, compiler style: `file:line:col: error: message`. */
export interface Diagnostic {
  readonly severity: Severity;
  readonly message: string;
  readonly location?: Location;
  /** What to do about it, when we know. */
  readonly hint?: string;
}

export function formatLocation(location: Location): string {
  const { file, line, column } = location;
  if (line === undefined) return file;
  return column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
}

export function formatDiagnostic(diagnostic: Diagnostic): string {
  const where = diagnostic.location ? `${formatLocation(diagnostic.location)}: ` : '';
  const hint = diagnostic.hint ? `\n  hint: ${diagnostic.hint}` : '';
  return `${where}${diagnostic.severity}: ${diagnostic.message}${hint}`;
}

/** Thrown when the input has errors; carries every error found, not only the first. */
export class InputError extends Error {
  public readonly diagnostics: readonly Diagnostic[];

  public constructor(diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'InputError';
    this.diagnostics = diagnostics;
  }
}

/** Collects diagnostics while a stage runs, so one run reports every error. */
export class DiagnosticBag {
  private readonly items: Diagnostic[] = [];

  public add(diagnostic: Diagnostic): void {
    this.items.push(diagnostic);
  }

  public error(message: string, location?: Location, hint?: string): void {
    this.add({ severity: 'error', message, location, hint });
  }

  public warning(message: string, location?: Location, hint?: string): void {
    this.add({ severity: 'warning', message, location, hint });
  }

  /** Every diagnostic collected, errors and warnings, in the order found. */
  public get diagnostics(): readonly Diagnostic[] {
    return [...this.items];
  }

  public get errors(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'error');
  }

  public get warnings(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'warning');
  }

  /** Throws an {@link InputError} holding every error collected so far, if any, in file and line order. */
  public throwIfErrors(): void {
    const errors = this.errors;
    if (errors.length > 0) throw new InputError(sortByPosition(errors));
  }
}

/** Diagnostics in reading order: by file, then line, then column; those without a position last, as found. */
export function sortByPosition(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic) => [d.location?.file ?? '\uffff', d.location?.line ?? Infinity, d.location?.column ?? Infinity] as const;
  return diagnostics
    .map((d, index) => ({ d, index }))
    .sort((a, b) => {
      const [fa, la, ca] = key(a.d);
      const [fb, lb, cb] = key(b.d);
      return fa < fb ? -1 : fa > fb ? 1 : la - lb || ca - cb || a.index - b.index;
    })
    .map(({ d }) => d);
}

/** A field's path in words: `migrations[0].source.namespace`. */
export function fieldLabel(path: YamlPath): string {
  return abbreviate(path.reduce<string>((label, s) => (typeof s === 'number' ? `${label}[${s}]` : label ? `${label}.${s}` : s), '') || '(top level)');
}

/** What the operating system said, in words, for the faults a user can meet (a file they cannot read or write). */
const FILE_FAULTS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted (an immutable or protected file)',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EFBIG: 'the file is larger than the file size limit (ulimit -f)',
  ENAMETOOLONG: 'the path is too long',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  ELOOP: 'too many symbolic links',
  EIO: 'an input/output error',
  EMFILE: 'too many open files',
  EBUSY: 'the file is busy',
  ENOTEMPTY: 'the folder is not empty',
  EEXIST: 'it already exists',
  EXDEV: 'it is on another file system',
};

/** A file system error (`fs` throws them with a `code`), or undefined for anything else. */
export function fileFault(error: unknown): NodeJS.ErrnoException | undefined {
  const fault = error as NodeJS.ErrnoException | undefined;
  return fault instanceof Error && typeof fault.code === 'string' && typeof fault.syscall === 'string' ? fault : undefined;
}

/** "permission denied (EACCES)": the reason of a file system error, for a message naming the file itself. */
export function fileFaultReason(error: NodeJS.ErrnoException): string {
  return `${FILE_FAULTS[error.code!] ?? error.message.replace(/,.*$/, '')} (${error.code})`;
}

/** A text a message quotes, cut in the middle when it is long: a hostile key, value or path may be megabytes. */
export function abbreviate(text: string): string {
  return text.length <= 200 ? text : `${text.slice(0, 120)}…${text.slice(-60)} (${text.length.toLocaleString('en')} characters)`;
}
