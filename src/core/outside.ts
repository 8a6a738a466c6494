import { formatDuration } from './durations.js';

/** A system outside this process that a run talks to, and what the user can check about it. */
export interface OutsideSystem {
  /** e.g. "Kubernetes API", "Vercel API", "Cloudflare DNS API". */
  name: string;
  /** Where it is (a URL without credentials), or '' when unknown. */
  where: string;
  /** The input holding the credential, named on 401/403. */
  credential?: string;
  /** The input holding the address, named when it is unreachable or has no such API. */
  urlInput?: string;
  /** What to check on 403 besides the credential (e.g. the shipped Role). */
  forbiddenHint?: string;
}

export type FailureKind = 'unreachable' | 'no-answer' | 'http';

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;
const TRANSPORT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'ECONNABORTED',
]);

/**
 * A failure of the outside world (unreachable, hung, refused credentials, throttled, broken), as
 * opposed to a bug of ours. `sentence()` is the one line the user reads: the system, the call and
 * what to check. `message` stays the short detail that other messages embed.
 */
export class OutsideFailure extends Error {
  override readonly name: string = 'OutsideFailure';
  /** Set once retries gave up: how many calls were made over how long. */
  retried: { attempts: number; ms: number } | undefined;

  constructor(
    public system: OutsideSystem,
    public call: string,
    readonly kind: FailureKind,
    readonly status: number | undefined,
    detail: string,
    readonly extra: {
      cause?: unknown;
      statusText?: string;
      retryAfterMs?: number;
      code?: string;
      noSuchApi?: boolean;
      waitedMs?: number;
      runTimedOut?: boolean;
      invalidCredentials?: boolean;
    } = {},
  ) {
    super(detail, extra.cause !== undefined ? { cause: extra.cause } : undefined);
  }

  private at(): string {
    return this.system.where ? `${this.system.name} at ${this.system.where}` : this.system.name;
  }

  private over(): string {
    const r = this.retried;
    return r && r.attempts > 1 ? ` (${r.attempts} attempts over ${formatDuration(r.ms)})` : '';
  }

  sentence(): string {
    const { system, call, status } = this;
    const detail = this.message.trim();
    const statusLine = `${status ?? ''} ${this.extra.statusText ?? ''}`.trim();
    if (this.kind === 'unreachable') {
      if (TLS_CODES.test(this.extra.code ?? ''))
        return `${this.at()} failed the TLS handshake for ${call} (${this.extra.code}): check the certificate authority${system.urlInput ? ` in ${system.urlInput}` : ''}.`;
      return `${this.at()} is unreachable for ${call} (${this.extra.code ?? detail})${this.over()}: check ${system.urlInput ?? 'its address'} and that this machine can reach it.`;
    }
    if (this.kind === 'no-answer')
      return `${this.at()} did not answer ${call} within ${formatDuration(this.extra.waitedMs ?? 0)}${this.extra.runTimedOut ? ", when the run's timeout ran out" : ''}${this.over()}: check that it is up and not overloaded.`;
    if (status === 401 || this.extra.invalidCredentials)
      return `${system.name} rejected the credentials${system.credential ? ` in ${system.credential}` : ''} (${status === 401 ? '401 Unauthorized' : statusLine}) for ${call}: check that they are valid and not expired.`;
    if (status === 403)
      return `${system.name} denied ${call} (403 Forbidden${detail ? `: ${detail}` : ''}): ${system.forbiddenHint ?? `give the credential${system.credential ? ` in ${system.credential}` : ''} the permission for it`}.`;
    if (status === 404 && this.extra.noSuchApi)
      return `${this.at()} has no API for ${call} (404): check ${system.urlInput ?? 'the server address'} (wrong server URL or API version).`;
    if (status === 429) return `${system.name} kept throttling ${call} (429 Too Many Requests)${this.over()}: wait for its rate limit to reset, then re-run.`;
    if (status !== undefined && status >= 500)
      return `${this.at()} failed ${call} with ${statusLine}${detail ? `: ${detail}` : ''}${this.over()}: check its health or status page, then re-run.`;
    if (!detail)
      return `${system.name} answered ${statusLine} to ${call} with no explanation: check the request's size and the server's limits (${system.urlInput ?? 'its address'}).`;
    return `${system.name} refused ${call} (${statusLine}): ${detail}.`;
  }
}

/** True when `status` is worth another call: throttled or a server error. */
export function retryableStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/** The first `code` (ECONNREFUSED, UND_ERR_SOCKET, a TLS code …) along an error's cause chain. */
export function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

/**
 * Turns what fetch threw into an OutsideFailure when it is the network's fault (refused, reset,
 * DNS, TLS, a per-call time cap); anything else (an abort of the whole run, our own bug) is returned as is.
 */
export function transportFailure(error: unknown, system: OutsideSystem, call: string, waitedMs?: number): unknown {
  if (error instanceof OutsideFailure) return error;
  if (!(error instanceof Error)) return error;
  if (error.name === 'TimeoutError' && waitedMs !== undefined)
    return new OutsideFailure(system, call, 'no-answer', undefined, 'no answer', { cause: error, waitedMs });
  const code = causeCode(error);
  if (code && (TRANSPORT_CODES.has(code) || TLS_CODES.test(code)))
    return new OutsideFailure(system, call, 'unreachable', undefined, code, { cause: error, code });
  if (error.message === 'fetch failed' || error.message === 'terminated' || error.message === 'other side closed') {
    return new OutsideFailure(system, call, 'unreachable', undefined, (error.cause instanceof Error ? error.cause.message : '') || error.message, {
      cause: error,
      ...(code ? { code } : {}),
    });
  }
  return error;
}

/**
 * What a call cut short by the run's own signal becomes: a timeout names the server that kept the
 * run waiting (a cancel stays what it was).
 */
export function cutByRun(error: unknown, run: AbortSignal, system: OutsideSystem, call: string, startedAt: number): unknown {
  const reason: unknown = run.reason;
  if (!(reason instanceof Error && reason.name === 'TimeoutError')) return error;
  return new OutsideFailure(system, call, 'no-answer', undefined, "no answer before the run's timeout", {
    cause: error,
    waitedMs: Date.now() - startedAt,
    runTimedOut: true,
  });
}

/** Whether a thrown value should be retried as a transient network failure. */
export function transientFailure(error: unknown): boolean {
  if (!(error instanceof OutsideFailure)) return false;
  if (error.kind === 'http') return error.status !== undefined && retryableStatus(error.status);
  return !TLS_CODES.test(error.extra.code ?? '');
}

/** Strips credentials from a URL for messages: user-info and query string go. */
export function displayUrl(url: string | URL): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '';
  }
}
