import type { KubeConfig } from '@kubernetes/client-node';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { parseRetryAfter, withRetry, type RetryDecision, type RetryPolicy } from '../core/retry.js';
import type { Logger } from '../core/logger.js';

/** A Kubernetes API error, carrying the Status object's reason and message. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

const RETRYABLE_CODES = new Set([429, 500, 502, 503, 504]);

export function classifyKubeError(error: unknown): RetryDecision {
  if (error instanceof KubeApiError) {
    if (!RETRYABLE_CODES.has(error.code)) return { retry: false };
    return { retry: true, reason: `${error.code} ${error.reason}`, ...(error.retryAfterMs !== undefined ? { delayMs: error.retryAfterMs } : {}) };
  }
  if (error instanceof Error && error.name === 'AbortError') return { retry: false };
  // connection refused/reset and other transport failures
  return { retry: true, reason: error instanceof Error ? error.message : String(error) };
}

/**
 * A thin JSON client over the Kubernetes REST API. Authentication and TLS come from client-node's
 * KubeConfig; retries (429 with Retry-After, 5xx, resets) from the shared policy.
 */
export class KubeClient {
  readonly server: string;
  private dispatcher: Dispatcher | undefined;

  constructor(
    private readonly config: KubeConfig,
    private readonly log: Logger,
    private readonly policy?: RetryPolicy,
  ) {
    this.server = (config.getCurrentCluster()?.server ?? '').replace(/\/+$/, '');
  }

  private async prepare(url: URL): Promise<{ headers: Headers; dispatcher: Dispatcher | undefined }> {
    const { RequestContext, HttpMethod } = await import('@kubernetes/client-node');
    const context = new RequestContext(url.toString(), HttpMethod.GET);
    await this.config.applySecurityAuthentication(context);
    // client-node builds a new connection pool for every request; keep the first one so connections
    // (and TLS sessions) are reused. Headers are taken fresh each time: exec/OIDC tokens rotate.
    this.dispatcher ??= context.getDispatcher() as Dispatcher | undefined;
    return { headers: context.getHeaders() as unknown as Headers, dispatcher: this.dispatcher };
  }

  url(path: string, query: Record<string, string | undefined> = {}): URL {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    return url;
  }

  private async once<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const url = this.url(path, options.query);
    const { headers, dispatcher } = await this.prepare(url);
    const { fetch } = await import('undici');
    const requestHeaders: Record<string, string> = { ...Object.fromEntries(new Headers(headers)), accept: 'application/json' };
    if (options.body !== undefined) requestHeaders['content-type'] = options.contentType ?? 'application/json';
    const response = await fetch(url, {
      method,
      headers: requestHeaders,
      ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
      ...(dispatcher ? { dispatcher } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const text = await response.text();
    if (!response.ok) {
      let reason = response.statusText;
      let message = text.slice(0, 500);
      try {
        const status = JSON.parse(text) as { reason?: string; message?: string };
        reason = status.reason ?? reason;
        message = status.message ?? message;
      } catch {
        // not a Status object: keep the raw text
      }
      throw new KubeApiError(response.status, reason, message, parseRetryAfter(response.headers.get('retry-after')));
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** One API call, retried on throttling, server errors and dropped connections. */
  request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return withRetry(
      () => this.once<T>(method, path, options),
      classifyKubeError,
      {
        ...(this.policy ? { policy: this.policy } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onRetry: (_error, delay, attempt, reason) => this.log.info(`  ↻ ${method} ${path}: ${reason ?? 'failed'}; retry ${attempt} in ${Math.round(delay)}ms`),
      },
    );
  }

  get<T>(path: string, query?: Record<string, string | undefined>, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { ...(query ? { query } : {}), ...(signal ? { signal } : {}) });
  }

  /**
   * Streams a watch until it ends (server timeout, dropped connection or abort); each event goes to
   * `onEvent`, which returns true to stop. Resolves with the last resourceVersion seen.
   */
  async watch<T extends { metadata?: { resourceVersion?: string } }>(
    path: string,
    query: Record<string, string | undefined>,
    onEvent: (event: WatchEvent<T>) => boolean,
    signal: AbortSignal,
  ): Promise<{ stopped: boolean; resourceVersion: string | undefined }> {
    const url = this.url(path, { ...query, watch: '1' });
    const { headers, dispatcher } = await this.prepare(url);
    const { fetch } = await import('undici');
    const controller = new AbortController();
    const abort = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    let resourceVersion = query.resourceVersion;
    try {
      const response = await fetch(url, { headers: Object.fromEntries(new Headers(headers)), signal: controller.signal, ...(dispatcher ? { dispatcher } : {}) });
      if (!response.ok || !response.body) {
        const text = await response.text();
        throw new KubeApiError(response.status, response.statusText, text.slice(0, 300), parseRetryAfter(response.headers.get('retry-after')));
      }
      const input = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
      const lines = createInterface({ input });
      // stopping early aborts the body; that error is expected, not a crash
      const ignore = (): void => undefined;
      input.on('error', ignore);
      lines.on('error', ignore);
      try {
        for await (const line of lines) {
          if (!line.trim()) continue;
          const event = JSON.parse(line) as WatchEvent<T>;
          if (event.type !== 'ERROR') resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
          if (onEvent(event)) {
            controller.abort();
            return { stopped: true, resourceVersion };
          }
        }
      } catch (error) {
        if (signal.aborted) throw error;
        // a dropped connection: the caller resumes from resourceVersion
      }
      return { stopped: false, resourceVersion };
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }
}
