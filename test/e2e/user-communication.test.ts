import { afterEach, describe, expect, it } from 'vitest';
import { type NotifyEmulator, startNotifyEmulator } from '../../src/sandbox/notify/server.js';
import { runCli } from '../helpers/cli.js';

let notify: NotifyEmulator | undefined;
afterEach(async () => {
  await notify?.close();
  notify = undefined;
});

const NEEDS_OK = JSON.stringify({
  plan: { result: 'success' },
  approve: { result: 'success' },
  services: { result: 'success' },
  verify: { result: 'success', outputs: { healthy: 'true', severity: 'none', failed: '' } },
});
const NEEDS_FAILED = JSON.stringify({
  plan: { result: 'success' },
  approve: { result: 'success' },
  services: { result: 'failure' },
  verify: { result: 'success', outputs: { healthy: 'false', severity: 'high', failed: 'health:chat-service' } },
});

function report(needs: string, flags: string[], env: Record<string, string>): ReturnType<typeof runCli> {
  const args = [
    'report',
    '--needs',
    needs,
    '--severity',
    'high',
    '--environment',
    'production',
    '--services',
    'chat-service',
    '--target',
    'previous',
    '--reason',
    'INC-9: v1.3.0 errors',
    ...flags,
  ];
  return runCli(args, { GITHUB_RUN_ID: '77', GITHUB_REPOSITORY: 'keiko/platform', ...env });
}

describe('user communication in the report (Statuspage and chat webhooks, against their emulator)', () => {
  it('resolves a status page incident with the components and posts to Slack', async () => {
    notify = await startNotifyEmulator();
    const run = await report(
      NEEDS_OK,
      ['--statuspage-page-id', notify.pageId, '--statuspage-components', 'cmp_chat,cmp_api', '--statuspage-api-url', notify.url, '--chat', 'slack'],
      { STATUSPAGE_API_KEY: notify.apiKey, CHAT_WEBHOOK_URL: notify.slackWebhook },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(notify.incidents).toEqual([
      {
        id: 'inc1',
        name: 'Resolved: rollback of production (high)',
        status: 'resolved',
        body: 'INC-9: v1.3.0 errors. Services: chat-service → previous. The platform is healthy again.',
        components: { cmp_chat: 'operational', cmp_api: 'operational' },
        component_ids: ['cmp_chat', 'cmp_api'],
        deliver_notifications: true,
      },
    ]);
    expect(notify.messages[0]?.kind).toBe('slack');
    expect(JSON.stringify(notify.messages[0]?.body)).toContain('https://github.com/keiko/platform/actions/runs/77');
    expect(run.summary).toContain('- Status page: incident https://stspg.io/inc1 (resolved)');
    expect(run.summary).toContain('- Slack: message posted');
    for (const secret of [notify.apiKey, 'keikosecret']) expect(run.stdout + run.stderr + run.summary).not.toContain(secret);
  });

  it('reports an ongoing incident with major outage and posts a Teams card when the rollback failed', async () => {
    notify = await startNotifyEmulator();
    const run = await report(
      NEEDS_FAILED,
      ['--statuspage-page-id', notify.pageId, '--statuspage-components', 'cmp_chat', '--statuspage-api-url', notify.url, '--chat', 'teams'],
      { STATUSPAGE_API_KEY: notify.apiKey, CHAT_WEBHOOK_URL: notify.teamsWebhook },
    );
    expect(run.code).toBe(1);
    expect(notify.incidents[0]).toMatchObject({ status: 'identified', components: { cmp_chat: 'major_outage' } });
    expect(notify.messages[0]).toMatchObject({ kind: 'teams', body: { '@type': 'MessageCard', title: 'Ongoing: rollback of production (high)' } });
  });

  it('a 401 and a 5xx: warnings in the summary, the rollback outcome unchanged, no secret shown', async () => {
    notify = await startNotifyEmulator();
    const rejected = await report(NEEDS_OK, ['--statuspage-page-id', notify.pageId, '--statuspage-api-url', notify.url, '--chat', 'slack'], {
      STATUSPAGE_API_KEY: 'sp_wrong_key_123',
      CHAT_WEBHOOK_URL: `${notify.url}/services/T000/B000/wrongsecret`,
    });
    expect(rejected.code).toBe(0);
    expect(rejected.summary).toContain('- Status page: ⚠️ not updated (Statuspage: the credentials were rejected (401))');
    expect(rejected.summary).toContain('- Slack: ⚠️ not notified (Slack webhook: the credentials were rejected (403))');
    expect(rejected.stdout + rejected.stderr + rejected.summary).not.toContain('sp_wrong_key_123');
    expect(rejected.stdout + rejected.stderr + rejected.summary).not.toContain('wrongsecret');
    notify.failNext(1);
    const retried = await report(NEEDS_OK, ['--statuspage-page-id', notify.pageId, '--statuspage-api-url', notify.url], { STATUSPAGE_API_KEY: notify.apiKey });
    expect(retried.summary).toContain('- Status page: incident https://stspg.io/inc1 (resolved)');
    notify.failNext(50);
    const down = await report(NEEDS_OK, ['--statuspage-page-id', notify.pageId, '--statuspage-api-url', notify.url], { STATUSPAGE_API_KEY: notify.apiKey });
    expect(down.code).toBe(0);
    expect(down.summary).toContain('- Status page: ⚠️ not updated (Statuspage: HTTP 500');
  });

  it('is skipped cleanly when not configured', async () => {
    const run = await report(NEEDS_OK, [], {});
    expect(run.code).toBe(0);
    expect(run.summary).toContain('- Status page: not configured (set statuspage-page-id and the STATUSPAGE_API_KEY secret)');
    expect(run.summary).toContain('- Chat: not configured (set chat and the CHAT_WEBHOOK_URL secret)');
  });
});
