import type { ServerResponse } from 'node:http';
import type { ParsedRequest } from './handlers.js';
import { filterOf } from './handlers.js';
import { apiVersionOf } from './resources.js';
import { matchesFilter } from './selectors.js';
import { badRequest, StatusError } from './status.js';
import type { ObjectStore, StoredEvent } from './store.js';
import { type KubeObject, meta } from './types.js';

export interface WatchOptions {
  bookmarkIntervalMs: number;
  /** Fault injection: drop the connection after this many events. */
  dropAfterEvents?: number;
}

/** A chunked stream of `{"type","object"}` lines, as the API server writes a watch. */
export function serveWatch(store: ObjectStore, request: ParsedRequest, res: ServerResponse, options: WatchOptions): void {
  if (request.query.get('sendInitialEvents') === 'true')
    throw badRequest('sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled');
  const filter = filterOf(request.query);
  const namespace = request.type.namespaced ? request.namespace : '';
  const inScope = (object: KubeObject): boolean => !namespace || meta(object).namespace === namespace;
  const rvText = request.query.get('resourceVersion') ?? '';
  const startRv = Number(rvText || 0);

  res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
  let sent = 0;
  let closed = false;
  const write = (type: string, object: object): void => {
    if (closed) return;
    sent++;
    const drop = options.dropAfterEvents !== undefined && sent >= options.dropAfterEvents;
    // a dropped connection: the events are flushed, then the socket dies without a clean chunked end
    res.write(`${JSON.stringify({ type, object })}\n`, drop ? () => res.socket?.destroy() : undefined);
    if (drop) closed = true;
  };
  const translate = (event: StoredEvent): void => {
    if (event.resource !== request.type || !inScope(event.object)) return;
    const now = matchesFilter(event.object, filter);
    const before = event.previous ? matchesFilter(event.previous, filter) : false;
    if (event.type === 'MODIFIED' && now && !before) write('ADDED', event.object);
    else if (event.type === 'MODIFIED' && !now && before) write('DELETED', event.object);
    else if (now) write(event.type, event.object);
  };

  if (startRv > 0 && startRv < store.oldestWatchableRevision) {
    const expired = new StatusError(410, 'Expired', `too old resource version: ${startRv} (${store.oldestWatchableRevision})`);
    write('ERROR', expired.toStatus());
    res.end();
    return;
  }
  if (!rvText || rvText === '0') {
    for (const object of store.list(request.type, namespace || undefined)) if (matchesFilter(object, filter)) write('ADDED', object);
  } else {
    for (const event of store.eventsSince(startRv)) translate(event);
  }
  const unsubscribe = store.subscribe(translate);
  const timers: NodeJS.Timeout[] = [];
  const finish = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    res.end();
  };
  const timeoutSeconds = Number(request.query.get('timeoutSeconds') ?? 0);
  if (timeoutSeconds > 0) timers.push(setTimeout(finish, timeoutSeconds * 1000));
  if (request.query.get('allowWatchBookmarks') === 'true') {
    const bookmark = setInterval(
      () =>
        write('BOOKMARK', { kind: request.type.kind, apiVersion: apiVersionOf(request.type), metadata: { resourceVersion: String(store.currentRevision) } }),
      options.bookmarkIntervalMs,
    );
    timers.push(bookmark);
  }
  res.on('close', () => {
    closed = true;
    unsubscribe();
    for (const t of timers) clearTimeout(t);
  });
}
