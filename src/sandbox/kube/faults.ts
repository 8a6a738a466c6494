/** Fault injection per route and verb, for retry and resilience tests. */
export interface FaultSpec {
  /** Matches the request verb (get, list, watch, create, update, patch, delete) or `write` for any change. */
  verb?: string;
  /** Substring or pattern of the request path. */
  path?: string | RegExp;
  /** Status to answer with instead of serving the request. */
  status?: 403 | 409 | 429 | 500 | 503;
  retryAfterSeconds?: number;
  /** Delay before serving (or failing) the request. */
  delayMs?: number;
  /** Serve the request (the change is made), then drop the connection before answering: a lost response. */
  loseResponse?: boolean;
  /** For watches: close the connection after this many events. */
  dropWatchAfterEvents?: number;
  /** How many requests it hits (default 1). */
  times?: number;
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete']);

export class FaultInjector {
  private readonly faults: (FaultSpec & { remaining: number })[] = [];

  add(fault: FaultSpec): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** Takes the first matching fault, if any, and counts it down. */
  take(verb: string, path: string): FaultSpec | undefined {
    const index = this.faults.findIndex((f) => {
      if (f.remaining <= 0) return false;
      if (f.verb && !(f.verb === verb || (f.verb === 'write' && WRITE_VERBS.has(verb)))) return false;
      if (f.path instanceof RegExp) return f.path.test(path);
      return !f.path || path.includes(f.path);
    });
    const fault = this.faults[index];
    if (!fault) return undefined;
    fault.remaining--;
    return fault;
  }
}
