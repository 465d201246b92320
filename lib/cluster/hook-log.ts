/** How the hook writes its one line per step. */
export type LogFormat = 'text' | 'json';

export interface HookLog {
  info(step: string, message: string, fields?: Record<string, unknown>): void;
  error(step: string, message: string, fields?: Record<string, unknown>): void;
}

/** Human-readable lines (`step: message`), or JSON lines for log pipelines; both on stderr, as diagnostics. */
export function createHookLog(format: LogFormat, write: (line: string) => void): HookLog {
  const line = (level: 'info' | 'error', step: string, message: string, fields: Record<string, unknown> = {}) =>
    write(
      format === 'json'
        ? `${JSON.stringify({ time: new Date().toISOString(), level, step, msg: message, ...fields })}\n`
        : `${level === 'error' ? 'error: ' : ''}${step}: ${message}\n`,
    );
  return { info: (...args) => line('info', ...args), error: (...args) => line('error', ...args) };
}
