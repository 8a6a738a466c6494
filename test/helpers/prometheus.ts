import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningPrometheus {
  url: string;
  stop(): Promise<void>;
}

/** The real Prometheus (Debian's package) with the given rule groups, evaluating every second. */
export async function startPrometheus(rules: string): Promise<RunningPrometheus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-prom-'));
  fs.writeFileSync(path.join(dir, 'rules.yml'), rules);
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), 'global:\n  evaluation_interval: 1s\n  scrape_interval: 1s\nrule_files:\n  - rules.yml\n');
  const port = await freePort();
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const ready = await fetch(`${url}/-/ready`);
      const rulesLoaded = (await (await fetch(`${url}/api/v1/rules`)).json()) as { data: { groups: { lastEvaluation?: string }[] } };
      if (ready.ok && rulesLoaded.data.groups.every((g) => g.lastEvaluation && !g.lastEvaluation.startsWith('0001'))) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('prometheus did not become ready within 30s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
