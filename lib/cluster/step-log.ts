/** How cluster-facing code (the hook above all) writes its one line per step. */
export type LogFormat = 'text' | 'json';

export interface StepLog {
  info(step: string, message: string, fields?: Record<string, unknown>): void;
  error(step: string, message: string, fields?: Record<string, unknown>): void;
}

/** Human-readable lines (`step: message`), or JSON lines for log pipelines; both on stderr, as diagnostics. */
export function createStepLog(format: LogFormat, write: (line: string) => void): StepLog {
  const line = (level: 'info' | 'error', step: string, message: string, fields: Record<string, unknown> = {}) =>
    write(
      format === 'json'
        ? `${JSON.stringify({ time: new Date().toISOString(), level, step, msg: message, ...fields })}\n`
        : `${level === 'error' ? 'error: ' : ''}${step}: ${message}\n`,
    );
  return { info: (...args) => line('info', ...args), error: (...args) => line('error', ...args) };
}
