import { describe, expect, it } from 'vitest';
import { startTcpFaultProxy, type TcpFault } from '../../src/sandbox/fault-proxy.js';
import { expectNamedOutcome, timed } from '../helpers/fault-matrix.js';
import { ADMIN_URL, ALEMBIC_HEAD, alembicDatabases, alembicRevision } from '../helpers/postgres.js';
import { runAction } from '../helpers/run-action.js';

const { setup, onCleanup } = alembicDatabases();
const viaProxy = (url: string, port: number): string => url.replace(/@127\.0\.0\.1:\d+\//, `@127.0.0.1:${port}/`);

// hang: accepted and never answered; reset: accepted and reset; refused: nothing listens
const CASES: (TcpFault | 'refused')[] = ['hang', 'reset', 'refused'];

describe('PostgreSQL faults: rollback-database ends in time, names PostgreSQL, changes nothing', () => {
  for (const fault of CASES) {
    it(fault, async () => {
      const { url, workspace } = await setup();
      const proxy = await startTcpFaultProxy(Number(new URL(ADMIN_URL).port || 5432));
      onCleanup(() => proxy.close());
      proxy.fault = fault === 'refused' ? 'pass' : fault;
      const port = fault === 'refused' ? 9 : proxy.port;
      const { result: run, elapsedMs } = await timed((onStdout) =>
        runAction(
          'rollback-database',
          { 'database-url': viaProxy(url, port), 'working-directory': 'alembic', target: '-1', timeout: '8s' },
          { cwd: workspace, onStdout },
        ),
      );
      expectNamedOutcome(run, elapsedMs, 8_000, /PostgreSQL|timed out after/);
      expect(run.code).toBe(1);
      expect(await alembicRevision(url), 'nothing changed').toBe(ALEMBIC_HEAD);
    });
  }
});

describe('PostgreSQL and Redis faults: verify stays a verdict, in time', () => {
  for (const fault of CASES) {
    it(`database and Redis: ${fault}`, async () => {
      const pgProxy = await startTcpFaultProxy(Number(new URL(ADMIN_URL).port || 5432));
      const redisProxy = await startTcpFaultProxy(6379);
      onCleanup(() => pgProxy.close());
      onCleanup(() => redisProxy.close());
      pgProxy.fault = redisProxy.fault = fault === 'refused' ? 'pass' : fault;
      const [pgPort, redisPort] = fault === 'refused' ? [9, 9] : [pgProxy.port, redisProxy.port];
      const inputs = {
        'database-url': viaProxy(ADMIN_URL.replace('postgres@', 'postgres:pw-secret@'), pgPort),
        'redis-url': `redis://:redis-secret@127.0.0.1:${redisPort}`,
        retries: '1',
        'retry-interval': '1s',
        'request-timeout': '2s',
        timeout: '6s',
      };
      const { result: run, elapsedMs } = await timed((onStdout) => runAction('verify', inputs, { onStdout }));
      expectNamedOutcome(run, elapsedMs, 6_000, /unhealthy/);
      expect(run.outputs.failed).toBe('database,redis');
      for (const secret of ['pw-secret', 'redis-secret']) expect(run.visible).not.toContain(secret);
    });
  }
});
