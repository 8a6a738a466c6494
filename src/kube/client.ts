import { STATUS_CODES } from 'node:http';
import { createInterface } from 'node:readline';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Dispatcher } from 'undici';
import type { Logger } from '../core/logger.js';
import { cutByRun, displayUrl, OutsideFailure, type OutsideSystem, retryableStatus, transientFailure, transportFailure } from '../core/outside.js';
import { parseRetryAfter, type RetryDecision, type RetryPolicy, withRetry } from '../core/retry.js';
import { RELEASE_GRACE_MS } from '../core/run-clock.js';

/** Who the Kubernetes API is for messages: its address, the credential input and the shipped Role. */
export function kubeSystem(server: string): OutsideSystem {
  return {
    name: 'Kubernetes API',
    where: displayUrl(server),
    credential: 'kubeconfig',
    urlInput: "the kubeconfig's cluster server",
    forbiddenHint: "bind the Role in deploy/rbac/keiko-rollback-role.yaml to the kubeconfig's user in that namespace (check with kubectl auth can-i)",
  };
}

/** `PATCH /apis/apps/v1/namespaces/prod/deployments/web` → `patch deployments/web in namespace prod`, as RBAC names it. */
export function describeKubeCall(method: string, path: string, query: Record<string, string | undefined> = {}): string {
  const match = /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?(?:\/([^/]+))?(?:\/([^/]+))?(?:\/([^/]+))?/.exec(path);
  if (!match?.[2]) return `${method} ${path}`;
  const [, namespace, resource, name, sub] = match;
  const verbs: Record<string, string> = { GET: name ? 'get' : 'list', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
  const verb = query.watch ? 'watch' : (verbs[method] ?? method.toLowerCase());
  return `${verb} ${resource}${sub ? `/${sub}` : ''}${name ? ` ${name}` : ''}${namespace ? ` in namespace ${namespace}` : ''}`;
}

/** undici's answer in the shape apiError reads (status, its text, headers). */
function statusOf(response: Dispatcher.ResponseData): { status: number; statusText: string; headers: { get(name: string): string | null } } {
  const header = (name: string): string | null => {
    const value = response.headers[name];
    return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
  };
  return { status: response.statusCode, statusText: STATUS_CODES[response.statusCode] ?? '', headers: { get: header } };
}

/** A Kubernetes API error, carrying the Status object's reason and message. */
export class KubeApiError extends OutsideFailure {
  override readonly name = 'KubeApiError';
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly retryAfterMs?: number,
    where: { system?: OutsideSystem; call?: string; noSuchApi?: boolean } = {},
  ) {
    super(where.system ?? kubeSystem(''), where.call ?? 'a request', 'http', code, message, {
      statusText: reason,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      ...(where.noSuchApi ? { noSuchApi: true } : {}),
    });
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

export function classifyKubeError(error: unknown): RetryDecision {
  if (error instanceof KubeApiError) {
    if (!retryableStatus(error.code)) return { retry: false };
    return { retry: true, reason: `${error.code} ${error.reason}`, ...(error.retryAfterMs !== undefined ? { delayMs: error.retryAfterMs } : {}) };
  }
  // connection refused/reset, a hung call cut by its time cap; an abort of the run or our own bug is not retried
  if (transientFailure(error)) return { retry: true, reason: error instanceof OutsideFailure ? (error.extra.code ?? error.kind) : 'failed' };
  return { retry: false };
}

export interface KubeClientOptions {
  /** The run's signal: every call and watch ends when it aborts. */
  signal?: AbortSignal;
  /** Longest wait for one call's answer (watches excepted); a hung server is retried within the run's time. */
  requestTimeoutMs?: number;
  policy?: RetryPolicy;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * A thin JSON client over the Kubernetes REST API. Authentication and TLS come from client-node's
 * KubeConfig; retries (429 with Retry-After, 5xx, resets) from the shared policy.
 */
export class KubeClient {
  readonly server: string;
  private dispatcher: Dispatcher | undefined;
  private staticAuth: { headers: Record<string, string>; dispatcher: Dispatcher | undefined } | undefined;

  readonly system: OutsideSystem;

  constructor(
    private readonly config: KubeConfig,
    private readonly log: Logger,
    private readonly options: KubeClientOptions = {},
  ) {
    this.server = (config.getCurrentCluster()?.server ?? '').replace(/\/+$/, '');
    this.system = kubeSystem(this.server);
  }

  /**
   * The same server and credentials bound to another signal: releasing what a run holds must
   * still work after the run's own signal ended (a timeout, a cancel).
   */
  withSignal(signal: AbortSignal, policy: RetryPolicy = { baseDelayMs: 100, maxDelayMs: 1000, budgetMs: RELEASE_GRACE_MS }): KubeClient {
    return new KubeClient(this.config, this.log, { ...this.options, signal, policy });
  }

  /** The kubeconfig this client uses (credentials included), for a tool that needs the same cluster (Helm). */
  exportKubeconfig(): string {
    return this.config.exportConfig();
  }

  /** Closes the kept connections once the run is done with the cluster, so the process can end at once. */
  async close(): Promise<void> {
    const dispatcher = this.dispatcher;
    this.dispatcher = undefined;
    this.staticAuth = undefined;
    await dispatcher?.destroy().catch(() => undefined);
  }

  /** The run's signal, the caller's and the per-call cap together. */
  private callSignal(signal: AbortSignal | undefined, capMs: number | undefined): AbortSignal | undefined {
    const parts = [this.options.signal, signal, capMs !== undefined ? AbortSignal.timeout(capMs) : undefined].filter((s): s is AbortSignal => s !== undefined);
    return parts.length ? AbortSignal.any(parts) : undefined;
  }

  private async prepare(url: URL): Promise<{ headers: Record<string, string>; dispatcher: Dispatcher | undefined }> {
    if (this.staticAuth) return this.staticAuth;
    // the module itself, not the package: its index also loads the generated API classes, WebSockets and tar (tens of ms)
    const { RequestContext, HttpMethod } = await import('@kubernetes/client-node/dist/gen/http/http.js');
    const context = new RequestContext(url.toString(), HttpMethod.GET);
    await this.config.applySecurityAuthentication(context);
    // client-node builds a new connection pool for every request; keep the first one so connections
    // (and TLS sessions) are reused. Headers are taken fresh each time: exec/OIDC tokens rotate.
    this.dispatcher ??= context.getDispatcher() as Dispatcher | undefined;
    // lower-cased by hand: the global Headers class loads Node's own copy of undici (milliseconds before the first request)
    const headers = Object.fromEntries(Object.entries(context.getHeaders()).map(([name, value]) => [name.toLowerCase(), value]));
    const prepared = { headers, dispatcher: this.dispatcher };
    // a token or client certificate never changes during a run: building client-node's agent once is enough
    // (it costs milliseconds per request, which fifty services at once turn into a queue)
    const user = this.config.getCurrentUser();
    if (user && !user.exec && !user.authProvider) this.staticAuth = prepared;
    return prepared;
  }

  url(path: string, query: Record<string, string | undefined> = {}): URL {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    return url;
  }

  private async once<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const url = this.url(path, options.query);
    const call = describeKubeCall(method, path, options.query);
    const { headers, dispatcher } = await this.prepare(url);
    // undici's request(), not fetch(): no WHATWG streams per call, which fifty services at once pay for in CPU
    const { request } = await import('undici');
    const requestHeaders: Record<string, string> = { ...headers, accept: 'application/json' };
    if (options.body !== undefined) requestHeaders['content-type'] = options.contentType ?? 'application/json';
    const capMs = this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const signal = this.callSignal(options.signal, capMs);
    const startedAt = Date.now();
    try {
      const response = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers: requestHeaders,
        ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
        ...(dispatcher ? { dispatcher } : {}),
        ...(signal ? { signal } : {}),
      });
      const text = await response.body.text();
      if (response.statusCode >= 300) throw this.apiError(statusOf(response), text, call);
      return (text ? JSON.parse(text) : {}) as T;
    } catch (error) {
      // the run's own end names the server it was waiting for; a call cut by its cap is a hung server
      if (this.options.signal?.aborted) throw cutByRun(error, this.options.signal, this.system, call, startedAt);
      if (options.signal?.aborted) throw error;
      throw transportFailure(error, this.system, call, capMs);
    }
  }

  private apiError(
    response: { status: number; statusText: string; headers: { get(name: string): string | null } },
    text: string,
    call: string,
  ): OutsideFailure {
    let reason = response.statusText;
    let message = text.slice(0, 500);
    let isStatus = false;
    try {
      const status = JSON.parse(text) as { kind?: string; reason?: string; message?: string };
      isStatus = status.kind === 'Status';
      reason = status.reason ?? reason;
      message = status.message ?? message;
    } catch {
      // not a Status object: keep the raw text
    }
    // a 404 that is not a Status comes from something that is not this API (a wrong URL or proxy): not "object not found"
    if (response.status === 404 && !isStatus)
      return new OutsideFailure(this.system, call, 'http', 404, message.trim(), { statusText: reason, noSuchApi: true });
    return new KubeApiError(response.status, reason, message.trim(), parseRetryAfter(response.headers.get('retry-after')), { system: this.system, call });
  }

  /** One API call, retried on throttling, server errors and dropped connections. */
  request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const signal = this.callSignal(options.signal, undefined);
    return withRetry(() => this.once<T>(method, path, options), classifyKubeError, {
      ...(this.options.policy ? { policy: this.options.policy } : {}),
      ...(signal ? { signal } : {}),
      onRetry: (_error, delay, attempt, reason) => this.log.info(`  ↻ ${method} ${path}: ${reason ?? 'failed'}; retry ${attempt} in ${Math.round(delay)}ms`),
    });
  }

  get<T>(path: string, query?: Record<string, string | undefined>, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { ...(query ? { query } : {}), ...(signal ? { signal } : {}) });
  }

  /**
   * Streams a watch until it ends (server timeout, dropped connection or abort); each event goes to
   * `onEvent`, which returns true to stop. Resolves with the last resourceVersion seen.
   * Not client-node's Watch: it opens a new connection pool per request and takes no per-call signal, and the
   * run's clock must bound every watch (and its reconnects) like every other call.
   */
  async watch<T extends { metadata?: { resourceVersion?: string } }>(
    path: string,
    query: Record<string, string | undefined>,
    onEvent: (event: WatchEvent<T>) => boolean,
    signal: AbortSignal,
  ): Promise<{ stopped: boolean; resourceVersion: string | undefined }> {
    const url = this.url(path, { ...query, watch: '1' });
    const call = describeKubeCall('GET', path, { watch: '1' });
    const { headers, dispatcher } = await this.prepare(url);
    const { request } = await import('undici');
    const controller = new AbortController();
    const runSignal = this.callSignal(signal, undefined) ?? signal;
    const abort = (): void => controller.abort(runSignal.reason);
    runSignal.addEventListener('abort', abort, { once: true });
    // the headers of a watch come at once; a server that sends none is hung
    const headerCap = setTimeout(
      () => controller.abort(new DOMException('no answer', 'TimeoutError')),
      this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    );
    let resourceVersion = query.resourceVersion;
    try {
      const response = await request(url, {
        headers: { ...headers, accept: 'application/json' },
        signal: controller.signal,
        ...(dispatcher ? { dispatcher } : {}),
      }).catch((error: unknown) => {
        if (runSignal.aborted) throw error;
        throw transportFailure(error, this.system, call, this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
      });
      clearTimeout(headerCap);
      if (response.statusCode >= 300) throw this.apiError(statusOf(response), await response.body.text(), call);
      const input = response.body;
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
        if (runSignal.aborted) throw error;
        // a dropped connection: the caller resumes from resourceVersion
      }
      return { stopped: false, resourceVersion };
    } finally {
      clearTimeout(headerCap);
      runSignal.removeEventListener('abort', abort);
    }
  }
}
