import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { CliStreams } from '../cli/cli-host.js';
import { type Fixture, runbookFixture, startKubeEmulator } from './kube/index.js';

export { BAD_RELEASE, DRILL_SERVICES, type DrillPlatform, type PlatformState, startDrillPlatform } from './drill-platform.js';
export { runbookFixture, startKubeEmulator } from './kube/index.js';

function flag(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(`--${name}`);
  return index === -1 ? undefined : argv[index + 1];
}

async function runKubeSandbox(argv: string[], streams: CliStreams): Promise<number> {
  const fixturePath = flag(argv, 'fixture');
  const fixture: Fixture = fixturePath ? (parseYaml(fs.readFileSync(fixturePath, 'utf8')) as Fixture) : runbookFixture();
  const port = Number(flag(argv, 'port') ?? 8001);
  const emulator = await startKubeEmulator({ port, fixture });
  const kubeconfigPath = flag(argv, 'kubeconfig') ?? path.join(os.tmpdir(), `keiko-sandbox-${port}.kubeconfig`);
  fs.writeFileSync(kubeconfigPath, emulator.kubeconfig, { mode: 0o600 });
  streams.err(`Kubernetes sandbox listening on ${emulator.url}\n`);
  streams.err(`namespaces: ${fixture.namespaces.map((n) => n.name).join(', ')}\n`);
  streams.out(`export KUBECONFIG=${kubeconfigPath}\n`);
  streams.err('Press Ctrl+C to stop.\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await emulator.close();
  return 0;
}

export async function runSandboxCli(command: string, argv: string[], _env: NodeJS.ProcessEnv, streams: CliStreams): Promise<number> {
  if (command === 'sandbox') {
    const [kind, ...rest] = argv;
    if (kind === 'kube') return runKubeSandbox(rest, streams);
    streams.out('Usage: keiko-rollback sandbox kube [--port 8001] [--fixture <file.yaml>] [--kubeconfig <path>]\n');
    return kind === '--help' || kind === '-h' ? 0 : 1;
  }
  streams.err(`error: unknown sandbox command '${command}'\n`);
  return 1;
}
