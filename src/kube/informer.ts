import { sleep } from '../core/durations.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { backoffDelay, DEFAULT_RETRY_POLICY } from '../core/retry.js';
import { classifyKubeError, type KubeClient } from './client.js';
import { type Deployment, deploymentPath, type LabelSelector, type List, type ObjectMeta, type Pod, podPath } from './types.js';

export interface InformerEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: T;
}

interface Listener<T> {
  filter: (object: T) => boolean;
  onEvent: (event: InformerEvent<T>) => void;
  onError: (error: unknown) => void;
}

type Named = { metadata: ObjectMeta };

/**
 * A list-then-watch cache of one kind of object in a namespace (client-go's informer, reduced to
 * what a rollback needs), shared by every service of a run: fifty rollouts cost one watch of
 * deployments and one of pods, not a hundred connections. A subscriber first gets the cached
 * objects it matches, then every change. A dropped watch resumes from its resourceVersion; an
 * expired one (410) or a failing one is listed again, so a finished rollout is never hidden.
 * Not client-node's informer: its Watch opens a new connection pool per request and takes no
 * signal, and the run's clock must bound the list, the watch and every reconnect.
 */
export class Informer<T extends Named> {
  private readonly cache = new Map<string, T>();
  private readonly listeners = new Set<Listener<T>>();
  private readonly controller = new AbortController();
  private readonly signal: AbortSignal;
  private synced = false;
  private failure: unknown;

  constructor(
    private readonly client: KubeClient,
    private readonly path: string,
    private readonly selector: { labelSelector?: string; fieldSelector?: string },
    options: { signal: AbortSignal; log: Logger },
  ) {
    this.signal = AbortSignal.any([this.controller.signal, options.signal]);
    void this.run(options.log);
  }

  /** Calls `onEvent` for every cached object `filter` accepts, then for each change; returns the unsubscribe. */
  subscribe(filter: (object: T) => boolean, onEvent: (event: InformerEvent<T>) => void, onError: (error: unknown) => void): () => void {
    const listener: Listener<T> = { filter, onEvent, onError };
    if (this.failure !== undefined) {
      onError(this.failure);
      return () => undefined;
    }
    this.listeners.add(listener);
    if (this.synced) for (const object of this.cache.values()) if (filter(object)) onEvent({ type: 'ADDED', object });
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.controller.abort();
    this.listeners.clear();
  }

  private emit(event: InformerEvent<T>): void {
    for (const listener of [...this.listeners]) if (listener.filter(event.object)) listener.onEvent(event);
  }

  private apply(type: InformerEvent<T>['type'], object: T): void {
    if (type === 'DELETED') this.cache.delete(object.metadata.name);
    else this.cache.set(object.metadata.name, object);
    this.emit({ type, object });
  }

  private async list(): Promise<string | undefined> {
    const list = await this.client.get<List<T> & { metadata?: { resourceVersion?: string } }>(this.path, this.selector, this.signal);
    const seen = new Set<string>();
    for (const object of list.items) {
      seen.add(object.metadata.name);
      const cached = this.cache.get(object.metadata.name);
      if (cached?.metadata.resourceVersion !== object.metadata.resourceVersion) this.apply(cached ? 'MODIFIED' : 'ADDED', object);
    }
    for (const [name, object] of [...this.cache]) if (!seen.has(name)) this.apply('DELETED', object);
    this.synced = true;
    return list.metadata?.resourceVersion;
  }

  private async run(log: Logger): Promise<void> {
    let resourceVersion: string | undefined;
    let failures = 0;
    while (!this.signal.aborted) {
      try {
        resourceVersion ??= await this.list();
        const result = await this.client.watch<T>(
          this.path,
          { ...this.selector, resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: '290' },
          (event) => {
            if (event.type === 'ERROR') {
              resourceVersion = undefined;
              return true;
            }
            if (event.type !== 'BOOKMARK') this.apply(event.type, event.object);
            return false;
          },
          this.signal,
        );
        if (resourceVersion !== undefined) resourceVersion = result.resourceVersion ?? resourceVersion;
        failures = 0;
      } catch (error) {
        if (this.signal.aborted) return;
        if (!classifyKubeError(error).retry) {
          // refused for good (403, 404): every waiting subscriber hears it, none waits for the run's timeout
          this.failure = error;
          for (const listener of [...this.listeners]) listener.onError(error);
          this.listeners.clear();
          return;
        }
        failures++;
        log.info(`  watch of ${this.path} interrupted (${describeError(error)}); listing again, then resuming`);
        resourceVersion = undefined;
        await sleep(backoffDelay(Math.min(failures, 6), DEFAULT_RETRY_POLICY), this.signal).catch(() => undefined);
      }
    }
  }
}

/** Whether `labels` satisfy a Deployment's selector (matchLabels and matchExpressions), as the API server decides. */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const inValues = has && value !== undefined && (e.values ?? []).includes(value);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** The shared informers of one namespace for a run's rollouts, each started when first needed. */
export class NamespaceInformers {
  private deploymentInformer: Informer<Deployment> | undefined;
  private podInformer: Informer<Pod> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly options: { signal: AbortSignal; log: Logger },
  ) {}

  deployments(): Informer<Deployment> {
    this.deploymentInformer ??= new Informer<Deployment>(this.client, deploymentPath(this.namespace), {}, this.options);
    return this.deploymentInformer;
  }

  pods(): Informer<Pod> {
    this.podInformer ??= new Informer<Pod>(this.client, podPath(this.namespace), {}, this.options);
    return this.podInformer;
  }

  stop(): void {
    this.deploymentInformer?.stop();
    this.podInformer?.stop();
  }
}
