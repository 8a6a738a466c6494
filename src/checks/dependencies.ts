import net from 'node:net';
import pg from 'pg';
import { abortable } from '../core/durations.js';
import { displayUrl } from '../core/secrets.js';
import { type Check, errorText } from './types.js';

export function postgresCheck(url: string, timeoutMs: number): Check {
  return {
    name: 'database',
    service: undefined,
    async run() {
      const started = performance.now();
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
      try {
        await client.connect();
        const result = await client.query<{ ok: number }>('SELECT 1 AS ok');
        const latencyMs = Math.round(performance.now() - started);
        return { ok: result.rows[0]?.ok === 1, latencyMs, detail: `SELECT 1 on ${displayUrl(url)} in ${latencyMs}ms` };
      } catch (error) {
        return { ok: false, latencyMs: Math.round(performance.now() - started), detail: `${displayUrl(url)}: ${errorText(error)}` };
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}

export function redisCheck(url: string, timeoutMs: number): Check {
  return {
    name: 'redis',
    service: undefined,
    async run(signal) {
      const started = performance.now();
      const { createClient } = await import('redis');
      const client = createClient({ url, socket: { connectTimeout: timeoutMs, reconnectStrategy: false } });
      client.on('error', () => undefined);
      try {
        // a server that accepts and never answers: the PING gets the request timeout too
        const pong = await abortable(
          client.connect().then(() => client.ping()),
          AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        );
        const latencyMs = Math.round(performance.now() - started);
        return { ok: pong === 'PONG', latencyMs, detail: `PING → ${pong} from ${displayUrl(url)} in ${latencyMs}ms` };
      } catch (error) {
        return { ok: false, latencyMs: Math.round(performance.now() - started), detail: `${displayUrl(url)}: ${errorText(error)}` };
      } finally {
        // no QUIT: on a hung server it would wait for ever
        client.destroy();
      }
    },
  };
}

export function tcpCheck(host: string, port: number, timeoutMs: number): Check {
  return {
    name: `tcp:${host}:${port}`,
    service: undefined,
    run() {
      const started = performance.now();
      return new Promise((resolve) => {
        const socket = net.connect({ host, port });
        const finish = (ok: boolean, detail: string): void => {
          socket.destroy();
          resolve({ ok, latencyMs: Math.round(performance.now() - started), detail });
        };
        socket.setTimeout(timeoutMs, () => finish(false, `${host}:${port}: no answer within ${timeoutMs}ms`));
        socket.once('connect', () => finish(true, `${host}:${port} accepts connections`));
        socket.once('error', (error) => finish(false, `${host}:${port}: ${error.message}`));
      });
    },
  };
}
