import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ADMIN_URL, query } from '../helpers/postgres.js';

const drill = (args: string[]) => runCli(['drill', ...args], { CI: 'true' });

describe('npm run drill (the built CLI against the local sandbox)', () => {
  it('rehearses the complete rollback and ends healthy, with every phase and the platform before → after', async () => {
    const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keiko-drill-test-')), 'drill-report.md');
    const run = await drill(['--report', report]);
    expect(run.code, run.stderr).toBe(0);
    const phases = [
      'verify (before)',
      'emergency-reroute activate',
      'plan services → v1.2.0 (dry run)',
      'rollback-service (the plan)',
      'plan database -1 (dry run)',
      'rollback-database (the plan)',
      'rollback-frontend previous',
      'verify (after)',
      'emergency-reroute restore',
      're-run services (same plan)',
      're-run database (same plan)',
    ];
    for (const phase of phases) expect(run.stdout).toMatch(new RegExp(`\\| ${phase.replace(/[()→]/g, '.')} \\| ✅ ok \\|`));
    expect(run.stdout).toContain('| verify (before) | ✅ ok |');
    expect(run.stdout).toMatch(/\| verify \(before\) \| ✅ ok \| \S+ \| healthy=false, severity=critical \|/);
    expect(run.stdout).toMatch(/\| verify \(after\) \| ✅ ok \| \S+ \| healthy=true, severity=none \|/);
    // the plan is made once, executed, and the same complete rollback run again changes nothing
    expect(run.stdout).toMatch(/\| plan database -1 \(dry run\) \| ✅ ok \| \S+ \| dry-run: c3f0c0de0003 → b2f0c0de0002 \|/);
    expect(run.stdout).toMatch(/\| re-run services \(same plan\) \| ✅ ok \| \S+ \| 5 unchanged \|/);
    expect(run.stdout).toMatch(/\| re-run database \(same plan\) \| ✅ ok \| \S+ \| unchanged: already at b2f0c0de0002 \|/);
    for (const service of ['chat-service', 'search-service', 'document-service', 'auth-service', 'gateway-bff'])
      expect(run.stdout).toContain(`| ${service} | v1.3.0 | v1.2.0 |`);
    expect(run.stdout).toContain('| frontend (Vercel production) | v1.3.0 | v1.2.0 |');
    expect(run.stdout).toContain('| database (Alembic) | c3f0c0de0003 (users: 250 rows) | b2f0c0de0002 (users: 250 rows) |');
    expect(run.stderr).toMatch(/^▶ verify \(before\)$/m);
    expect(fs.readFileSync(report, 'utf8')).toBe(run.stdout.slice(run.stdout.indexOf('## ')));
    const url = new URL(ADMIN_URL);
    url.pathname = '/keiko_drill';
    expect(await query(url.toString(), 'SELECT version_num AS v FROM alembic_version')).toEqual([{ v: 'b2f0c0de0002' }]);
    expect(await query(url.toString(), 'SELECT count(*)::int AS n FROM users')).toEqual([{ n: 250 }]);
  });

  it('runs the service scenario alone, and rejects an unknown scenario', async () => {
    const service = await drill(['--scenario', 'service']);
    expect(service.code, service.stderr).toBe(0);
    expect(service.stdout).toContain('| rollback-service (the plan) | ✅ ok |');
    expect(service.stdout).not.toContain('rollback-database');
    const bad = await drill(['--scenario', 'everything']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('error: --scenario must be one of complete | service | database | frontend, got "everything"');
  });
});
