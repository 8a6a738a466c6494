import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DnsEmulator, startDnsEmulator } from '../../src/sandbox/dns/server.js';
import { type KubeEmulator, runbookFixture, startKubeEmulator } from '../../src/sandbox/kube/index.js';
import { runAction } from '../helpers/run-action.js';

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((c) => c()));
  closers = [];
});

async function setup(records?: Parameters<typeof startDnsEmulator>[0]): Promise<{ kube: KubeEmulator; dns: DnsEmulator; workspace: string }> {
  const kube = await startKubeEmulator({ fixture: runbookFixture() });
  const dns = await startDnsEmulator(records);
  closers.push(
    () => kube.close(),
    () => dns.close(),
  );
  return { kube, dns, workspace: fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-dns-')) };
}

const reroute = (kube: KubeEmulator, workspace: string, inputs: Record<string, string>) =>
  runAction(
    'emergency-reroute',
    { environment: 'production', kubeconfig: kube.kubeconfig, 'ingress-manifest': '', 'circuit-breaker': 'false', ...inputs },
    { cwd: workspace },
  );

describe('emergency-reroute DNS switch (Cloudflare v4 and Azure DNS, against their emulator)', () => {
  it('Cloudflare: lowers the TTL first, switches keeping proxied, says how long caches may answer the old way, and restore puts record, TTL and proxied back', async () => {
    const { kube, dns, workspace } = await setup({
      records: [{ type: 'CNAME', name: 'api.keiko.com', content: 'primary.keiko.net', ttl: 3600, proxied: true }],
    });
    const cloudflare = {
      'dns-provider': 'cloudflare',
      'dns-zone': 'keiko.com',
      'dns-record': 'api',
      'dns-target': 'backup.keiko.net',
      'dns-token': dns.token,
      'dns-api-url': `${dns.url}/client/v4`,
    };
    const run = await reroute(kube, workspace, cloudflare);
    expect(run.code, run.stdout).toBe(0);
    expect(dns.writes.map((w) => [w.method, (w.body as { content: string; ttl: number }).content, (w.body as { ttl: number }).ttl])).toEqual([
      ['PUT', 'primary.keiko.net', 60],
      ['PUT', 'backup.keiko.net', 60],
    ]);
    expect(dns.records).toEqual([{ type: 'CNAME', name: 'api.keiko.com', content: 'backup.keiko.net', ttl: 60, proxied: true }]);
    const state = JSON.parse(run.outputs.state ?? '{}') as { dns: unknown };
    expect(state.dns).toEqual({
      provider: 'cloudflare',
      zone: 'keiko.com',
      record: 'api',
      previous: { type: 'CNAME', values: ['primary.keiko.net'], ttl: 3600, proxied: true },
    });
    // the TTL was lowered at the switch, so what resolvers cached before may live for the old TTL
    const until = /may still answer with the old record until (\S+) \(its old TTL\)/.exec(run.summary)?.[1] ?? '';
    expect(Date.parse(until) - Date.now()).toBeGreaterThan(3000 * 1000);
    expect(run.outputs.applied).toBe('DNS/api.keiko.com');
    const restored = await reroute(kube, workspace, { ...cloudflare, mode: 'restore' });
    expect(restored.code, restored.stdout).toBe(0);
    expect(dns.records).toEqual([{ type: 'CNAME', name: 'api.keiko.com', content: 'primary.keiko.net', ttl: 3600, proxied: true }]);
    expect(run.visible + restored.visible).not.toContain(dns.token);
  });

  it('Azure DNS: switches an A record to a CNAME and back; a record that did not exist is removed on restore', async () => {
    const { kube, dns, workspace } = await setup({ records: [{ type: 'A', name: 'api.keiko.com', content: '20.1.2.3', ttl: 300 }] });
    const azure = {
      'dns-provider': 'azure',
      'dns-zone': 'keiko.com',
      'dns-record': 'api',
      'dns-target': 'backup.keiko.net',
      'dns-token': dns.token,
      'dns-api-url': dns.url,
      'azure-subscription-id': 'sub-1',
      'azure-resource-group': 'rg-dns',
    };
    expect((await reroute(kube, workspace, azure)).code).toBe(0);
    expect(dns.records).toEqual([{ type: 'CNAME', name: 'api.keiko.com', content: 'backup.keiko.net', ttl: 60 }]);
    expect((await reroute(kube, workspace, { ...azure, mode: 'restore' })).code).toBe(0);
    expect(dns.records).toEqual([{ type: 'A', name: 'api.keiko.com', content: '20.1.2.3', ttl: 300 }]);
    const fresh = { ...azure, 'dns-record': 'status', 'dns-target': '20.9.9.9' };
    expect((await reroute(kube, workspace, fresh)).code).toBe(0);
    expect(dns.records).toContainEqual({ type: 'A', name: 'status.keiko.com', content: '20.9.9.9', ttl: 60 });
    expect((await reroute(kube, workspace, { ...fresh, mode: 'restore' })).code).toBe(0);
    expect(dns.records.find((r) => r.name === 'status.keiko.com')).toBeUndefined();
  });

  it('a rejected token (401) fails naming the input with nothing changed; a 503 is retried', async () => {
    const { kube, dns, workspace } = await setup();
    const base = {
      'dns-provider': 'cloudflare',
      'dns-zone': 'keiko.com',
      'dns-record': 'api',
      'dns-target': 'backup.keiko.net',
      'dns-api-url': `${dns.url}/client/v4`,
    };
    const refused = await reroute(kube, workspace, { ...base, 'dns-token': 'wrong-token-123' });
    expect(refused.code).toBe(1);
    expect(refused.errorLines).toEqual([
      '::error::Cloudflare API rejected the credentials in dns-token (401 Unauthorized) for GET /client/v4/zones: check that they are valid and not expired.',
    ]);
    expect(dns.writes).toEqual([]);
    dns.failNext(1);
    const retried = await reroute(kube, workspace, { ...base, 'dns-token': dns.token });
    expect(retried.code, retried.stdout).toBe(0);
    expect(retried.stdout).toContain('Cloudflare: 503');
    expect(dns.records[0]?.content).toBe('backup.keiko.net');
  });

  it('restore refuses to run without the DNS credentials when the reroute switched DNS', async () => {
    const { kube, dns, workspace } = await setup();
    await reroute(kube, workspace, {
      'dns-provider': 'cloudflare',
      'dns-zone': 'keiko.com',
      'dns-record': 'api',
      'dns-target': 'backup.keiko.net',
      'dns-token': dns.token,
      'dns-api-url': `${dns.url}/client/v4`,
    });
    const run = await reroute(kube, workspace, { mode: 'restore' });
    expect(run.errorLines[0]).toContain("::error::Input 'dns-provider' is empty, but the reroute switched DNS record api.keiko.com (cloudflare)");
    expect(dns.records[0]?.content).toBe('backup.keiko.net');
  });
});
