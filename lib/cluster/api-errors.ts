import { ApiException } from '@kubernetes/client-node';
import { UnexpectedAnswer } from './http-transport.ts';

/** What an API call's failure means for whoever retries it. */
export type FailureKind = 'not-found' | 'conflict' | 'transient' | 'unreachable' | 'not-kubernetes' | 'fatal';

/** Nobody answers at that address (or name): retrying for minutes will not make a server appear. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; cause?: { code?: unknown } };
  const code = e.cause?.code ?? e.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether a failed answer carries a Kubernetes `Status` body, as every error of a real API server does. */
function hasStatusBody(error: ApiException<unknown>): boolean {
  const body = typeof error.body === 'string' ? safeParse(error.body) : error.body;
  return (body as { kind?: string } | undefined)?.kind === 'Status';
}

/** The HTTP status of a failed call, when the server answered. */
function statusCode(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** Failures to get an answer at all, as node-fetch reports them: the network may come back. */
function isNetworkFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { type } = error as { type?: string };
  return error.name === 'AbortError' || type === 'system' || type === 'request-timeout' || type === 'aborted';
}

/**
 * 5xx, 429 and failures to get an answer at all (refused, reset, timed out) are transient and worth retrying;
 * 404 and 409 are answers callers handle; every other 4xx, and every client-side fault (a bad kubeconfig), is final.
 */
export function classify(error: unknown): FailureKind {
  if (error instanceof UnexpectedAnswer) return 'not-kubernetes';
  const code = statusCode(error);
  if (code === undefined) {
    if (UNREACHABLE.has(errorCode(error) ?? '')) return 'unreachable';
    // A 200 whose body is not the JSON it should be (a proxy hiccup): like any other transient fault.
    if (error instanceof SyntaxError || /Unexpected token|is not valid JSON/.test((error as Error)?.message ?? '')) return 'transient';
    return isNetworkFailure(error) ? 'transient' : 'fatal';
  }
  // A 404 without a Status body is not the API server saying "no such object" but something else answering.
  if (code === 404 && !hasStatusBody(error as ApiException<unknown>)) return 'not-kubernetes';
  if (code === 404) return 'not-found';
  if (code === 409) return 'conflict';
  if (code === 429 || code >= 500) return 'transient';
  return 'fatal';
}

/** The message of a Kubernetes `Status` body, or a short description of a failure without one. */
export function describeFailure(error: unknown): string {
  if (error instanceof ApiException) {
    const body = typeof error.body === 'string' ? safeParse(error.body) : error.body;
    const message = (body as { message?: string } | undefined)?.message;
    return `HTTP ${error.code}${message ? `: ${message}` : ''}`;
  }
  if (error instanceof UnexpectedAnswer) return error.message;
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
    return error.name === 'AbortError' || /aborted|timeout/i.test(error.message) ? 'request timed out' : `${cause ?? error.name}: ${error.message}`;
  }
  return String(error);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
