import { describe, expect, it } from 'vitest';
import { emergencyRerouteSchema } from '../src/actions/emergency-reroute/inputs.js';
import { rollbackDatabaseSchema } from '../src/actions/rollback-database/inputs.js';
import { rollbackServiceSchema } from '../src/actions/rollback-service/inputs.js';
import { verifySchema } from '../src/actions/verify/inputs.js';
import { parseDuration } from '../src/core/durations.js';
import { ConfigurationError, failureLine } from '../src/core/errors.js';
import { readInputs } from '../src/core/inputs.js';

const base = { services: 'chat-service', environment: 'production' };
/** A one-cluster plan without its closing brace, so a test can add a context. */
const PLAN =
  '{"version":1,"kind":"keiko-rollback/service-plan","namespace":"keiko-production","target":"previous","created-at":"x","services":[{"service":"chat-service","from":null,"to":{"revision":2,"hash":"abc","version":"v1.2.0","images":[],"uid":"u"}}]';

function lineFor(schema: Parameters<typeof readInputs>[0], inputs: Record<string, string>): string {
  try {
    readInputs(schema, { getInput: (name) => inputs[name] ?? '' });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return failureLine(error);
  }
  throw new Error('expected the inputs to be rejected');
}

describe('bad input values give one exact message naming the input', () => {
  it.each([
    [
      'empty required',
      { environment: 'production' },
      "Input 'services' is required: name the deployments to roll back, e.g. `services: chat-service,search-service` (or pass the `plan` of a dry run)",
    ],
    ['bad boolean', { ...base, 'dry-run': 'yes' }, 'Input \'dry-run\' must be true or false (YAML 1.2: true | True | TRUE | false | False | FALSE), got "yes"'],
    ['bad duration', { ...base, timeout: 'soon' }, 'Input \'timeout\' must be a duration such as 90s, 10m or 1h, got "soon"'],
    [
      'bad DNS name (uppercase)',
      { ...base, services: 'Chat-Service' },
      "Input 'services' has \"Chat-Service\" is not a valid Kubernetes name (DNS-1123 label): use lowercase letters, digits and '-', start and end with a letter or digit, at most 63 characters",
    ],
    [
      'bad DNS name (shell characters)',
      { ...base, services: 'chat;rm -rf /' },
      "Input 'services' has \"chat;rm -rf /\" is not a valid Kubernetes name (DNS-1123 label): use lowercase letters, digits and '-', start and end with a letter or digit, at most 63 characters",
    ],
    [
      'bad base64 kubeconfig',
      { ...base, kubeconfig: 'bm90IGEga3ViZWNvbmZpZw==' },
      "Input 'kubeconfig' is neither kubeconfig YAML nor base64 of it: pass the file content (e.g. a secret holding `cat ~/.kube/config`) or `base64 -w0 ~/.kube/config`",
    ],
    [
      'kubeconfig that is neither',
      { ...base, kubeconfig: '%%% not yaml {' },
      "Input 'kubeconfig' is neither kubeconfig YAML nor base64 of it: pass the file content (e.g. a secret holding `cat ~/.kube/config`) or `base64 -w0 ~/.kube/config`",
    ],
    ['integer out of range', { ...base, 'max-parallel': '0' }, 'Input \'max-parallel\' must be a whole number from 1 to 100, got "0"'],
    [
      'revision not a number',
      { ...base, target: 'revision:x' },
      'Input \'target\' must be `previous`, `revision:N` (N a revision number ≥ 1) or a version tag such as v1.2.0, got "revision:x"',
    ],
    [
      'negative revision',
      { ...base, target: 'revision:-1' },
      'Input \'target\' must be `previous`, `revision:N` (N a revision number ≥ 1) or a version tag such as v1.2.0, got "revision:-1"',
    ],
    [
      'no namespace',
      { services: 'chat-service' },
      "Input 'namespace' is required: set `namespace`, or `environment` (the namespace is then `namespace-template` with {environment} replaced)",
    ],
    [
      'namespace not a DNS label',
      { services: 'chat-service', namespace: 'Keiko_Prod' },
      "Input 'namespace' is \"Keiko_Prod\" is not a valid Kubernetes name (DNS-1123 label): use lowercase letters, digits and '-', start and end with a letter or digit, at most 63 characters",
    ],
    ['unknown enum value', { ...base, 'on-managed': 'ignore' }, 'Input \'on-managed\' must be one of warn | fail | suspend-sync | helm, got "ignore"'],
    [
      'contexts beside context',
      { ...base, contexts: 'prod-eu,prod-us', context: 'prod-eu' },
      "Input 'contexts' cannot be combined with `context`: list every cluster in `contexts`",
    ],
    [
      'too many contexts',
      { ...base, contexts: Array.from({ length: 21 }, (_, i) => `c${i}`).join(',') },
      "Input 'contexts' names 21 contexts; at most 20 in one run: split the clusters across a workflow matrix",
    ],
    [
      'a plan of several clusters without a context',
      { plan: `[${PLAN}}]` },
      "Input 'plan' holds plan 1 without a context: a plan of several clusters names each one's context; make the plan again with `contexts`",
    ],
    [
      'a plan of several clusters naming one twice',
      { plan: `[${PLAN},"context":"a"},${PLAN},"context":"a"}]` },
      "Input 'plan' holds two plans for context a: make the plan again instead of editing it",
    ],
    [
      'contexts the plan was not made for',
      { plan: `[${PLAN},"context":"a"}]`, contexts: 'a,b' },
      "Input 'contexts' names b, which the plan does not hold (it holds a)",
    ],
    [
      'a damaged plan in the array',
      { plan: '[{"version":2}]' },
      'Input \'plan\' holds plan 1, which is not a rollback-service plan (kind must be "keiko-rollback/service-plan"): pass the `plan` output of rollback-service',
    ],
  ])('%s', (_label, inputs, message) => {
    expect(lineFor(rollbackServiceSchema, inputs)).toBe(message);
  });

  it.each([
    [
      'no check configured',
      {},
      "Input 'health-urls' or another check is required: configure at least one of health-url-template + services, health-urls, database-url, redis-url, tcp, namespace/environment, prometheus-url, prometheus-service, smoke-commands, appinsights-app-id",
    ],
    [
      'template without {service}',
      { services: 'a', 'health-url-template': 'https://x/health' },
      "Input 'health-url-template' must contain {service}, e.g. https://api.keiko.com/{service}/health",
    ],
    ['URL not http(s)', { 'health-urls': 'ftp://x/health' }, 'Input \'health-urls\' has "ftp://x/health", which is not an http(s) URL'],
    [
      'bad status list',
      { 'health-urls': 'http://x', 'expected-status': '2xx0' },
      'Input \'expected-status\' must list HTTP statuses or ranges such as 200 or 200-299, got "2xx0"',
    ],
    [
      'PromQL without operator',
      { 'prometheus-url': 'http://p', 'prometheus-queries': 'error-rate: sum(rate(x[5m]))' },
      'Input \'prometheus-queries\' has "error-rate: sum(rate(x[5m]))": write `name: <PromQL> <op> <number>` with op one of < <= > >= == !=',
    ],
    [
      'window shorter than interval',
      { 'health-urls': 'http://x', 'stability-window': '1s' },
      "Input 'stability-window' must be at least as long as retry-interval (the checks repeat every retry-interval inside the window)",
    ],
    ['negative retries', { 'health-urls': 'http://x', retries: '-1' }, 'Input \'retries\' must be a whole number from 0 to 100, got "-1"'],
  ])('verify: %s', (_label, inputs, message) => {
    expect(lineFor(verifySchema, inputs)).toBe(message);
  });

  it.each([
    [
      'other scheme',
      { 'database-url': 'mysql://u@h/db', target: '-1' },
      "Input 'database-url' must be a postgres:// or postgresql:// URL such as postgresql://app@db.internal:5432/keiko",
    ],
    [
      'shell characters in target',
      { 'database-url': 'postgres://h/db', target: '$(reboot)' },
      "Input 'target' must be a revision id, -N or base (letters, digits, '_' and '.'), got \"$(reboot)\"",
    ],
    [
      'backup off without consent',
      { 'database-url': 'postgres://h/db', target: '-1', backup: 'false' },
      "Input 'backup' is false, which risks data loss: keep `backup: true`, or also set `i-accept-data-loss: true`",
    ],
    ['jobs 0', { 'database-url': 'postgres://h/db', target: '-1', jobs: '0' }, 'Input \'jobs\' must be a whole number from 1 to 64, got "0"'],
  ])('database: %s', (_label, inputs, message) => {
    expect(lineFor(rollbackDatabaseSchema, inputs)).toBe(message);
  });
});

describe('the #13 inputs', () => {
  const dns = {
    environment: 'production',
    'dns-provider': 'cloudflare',
    'dns-zone': 'keiko.com',
    'dns-record': 'api',
    'dns-target': 'backup.keiko.net',
    'dns-token': 't0ken',
  };
  it.each([
    [
      'unknown provider',
      { ...dns, 'dns-provider': 'route53' },
      'Input \'dns-provider\' must be azure or cloudflare (or empty for no DNS change), got "route53"',
    ],
    ['ttl 0', { ...dns, 'dns-ttl': '0' }, 'Input \'dns-ttl\' must be a whole number from 1 to 86400, got "0"'],
    ['no zone', { ...dns, 'dns-zone': '' }, "Input 'dns-zone' is required with dns-provider: cloudflare"],
    ['no target on activate', { ...dns, 'dns-target': '' }, "Input 'dns-target' is required with dns-provider: cloudflare"],
    [
      'cloudflare without token',
      { ...dns, 'dns-token': '' },
      "Input 'dns-token' is required with dns-provider: cloudflare: a Cloudflare API token with DNS edit rights",
    ],
    ['azure without subscription', { ...dns, 'dns-provider': 'azure' }, "Input 'azure-subscription-id' is required with dns-provider: azure"],
  ])('reroute: %s', (_label, inputs, message) => {
    expect(lineFor(emergencyRerouteSchema, inputs)).toBe(message);
  });

  it.each([
    [
      'sqlserver without restore-from',
      { 'database-url': 'sqlserver://sa:pw@db:1433/keiko', engine: 'sqlserver' },
      "Input 'restore-from' is required with engine: sqlserver: the .sql backup to restore with sqlcmd",
    ],
    [
      'sqlserver with a postgres URL',
      { 'database-url': 'postgres://h/db', engine: 'sqlserver', 'restore-from': 'b.sql' },
      "Input 'database-url' must be sqlserver://app@sql.internal:1433/keiko (password in the URL) with engine: sqlserver",
    ],
    [
      'unknown engine',
      { 'database-url': 'postgres://h/db', engine: 'oracle', target: '-1' },
      'Input \'engine\' must be one of postgres | sqlserver, got "oracle"',
    ],
  ])('database: %s', (_label, inputs, message) => {
    expect(lineFor(rollbackDatabaseSchema, inputs)).toBe(message);
  });

  it.each([
    [
      'appinsights window',
      { 'appinsights-app-id': 'a', 'appinsights-key': 'k', 'appinsights-window': 'forever' },
      'Input \'appinsights-window\' must be a duration such as 90s, 10m or 1h, got "forever"',
    ],
    [
      'negative threshold',
      { 'appinsights-app-id': 'a', 'appinsights-key': 'k', 'appinsights-max-exceptions': '-5' },
      'Input \'appinsights-max-exceptions\' must be a whole number from 0 to 1000000, got "-5"',
    ],
    [
      'grafana url not http',
      { 'health-urls': 'http://x', 'grafana-url': 'grafana.local', 'grafana-token': 't' },
      'Input \'grafana-url\' must be a URL such as https://grafana.example.com, got "grafana.local"',
    ],
  ])('verify: %s', (_label, inputs, message) => {
    expect(lineFor(verifySchema, inputs)).toBe(message);
  });
});

describe('input types accept what the runbook writes', () => {
  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('800ms')).toBe(800);
    expect(parseDuration('10')).toBeUndefined();
  });

  it('accepts every YAML 1.2 boolean spelling and lists by comma or newline', () => {
    for (const [text, value] of [
      ['True', true],
      ['TRUE', true],
      ['false', false],
      ['FALSE', false],
    ] as const) {
      const inputs = readInputs(rollbackServiceSchema, { getInput: (n) => ({ ...base, 'dry-run': text, services: 'a,b\nc' })[n] ?? '' });
      expect(inputs['dry-run']).toBe(value);
      expect(inputs.services).toEqual(['a', 'b', 'c']);
    }
  });

  it('reads a base64 kubeconfig', () => {
    const yaml = 'apiVersion: v1\nclusters:\n- name: c\n  cluster: {server: "https://k"}\n';
    const inputs = readInputs(rollbackServiceSchema, { getInput: (n) => ({ ...base, kubeconfig: Buffer.from(yaml).toString('base64') })[n] ?? '' });
    expect(inputs.kubeconfig).toBe(yaml);
  });
});
