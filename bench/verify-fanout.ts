import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runDistAction } from './actions.js';
import { type Measurement, repeat } from './measure.js';

/** 100 health URLs on local servers, one of which answers after 2 s: the total should be about the slowest. */
export async function verifyBenchmark(): Promise<{ measurement: Measurement; slowestMs: number }> {
  const slowestMs = 2000;
  const server = http.createServer((req, res) => {
    if (req.url === '/svc-42/health') return void setTimeout(() => res.end('ok'), slowestMs);
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const urls = Array.from({ length: 100 }, (_, i) => `${base}/svc-${i}/health`).join('\n');
  const measurement = await repeat('verify, 100 health URLs (one answers after 2 s)', 5, async () => {
    const result = await runDistAction('verify', { 'health-urls': urls, retries: '0' });
    if (result.code !== 0) throw new Error(`verify failed: ${result.stdout.slice(-400)}`);
  });
  server.close();
  return { measurement, slowestMs };
}
