import fc from 'fast-check';

/**
 * Values a mistaken or hostile user can put into any input: empty and blank, YAML-ish booleans,
 * negative and huge numbers, durations past what a timer holds, shell metacharacters, path
 * traversal, malformed URLs (with credentials), broken kubeconfigs and plans, JSON of the wrong
 * shape, unicode, control characters and very long text — plus arbitrary strings.
 */
const KNOWN_BAD = [
  '', ' ', '\t', '\n', 'true', 'True', 'FALSE', 'yes', 'no', 'on', 'off', '~', 'null', 'undefined', 'NaN',
  '-1', '0', '-0', '1.5', '1e309', '99999999999999999999', '0x10', '597h', '1194h', '0s', '-5m', '10 m', '1h-30m',
  '; rm -rf / #', 'evil; rm -rf / #', '$(id)', '`id`', '| cat /etc/passwd', '&& curl http://x', "'unterminated", '"unterminated',
  '../../../etc/passwd', '/etc/shadow', '..', '.', '~/.ssh/id_rsa', 'C:\\Windows',
  'htp://admin:PW@prometheus:9090', 'https//status.keiko.com/health?token=tok-secret', 'http://[::1', '://', 'http://', 'ftp://x', 'postgresql://u:p%zz@h/db', 'redis://:pw@', 'javascript:alert(1)',
  'apiVersion: v1\nclusters: [', 'clusters:\n- cluster: {server: "http://127.0.0.1:1"}\n  name: x', 'YXBpVmVyc2lvbjogdjE=', '{"version":1}', '{"version":99,"kind":"x"}', '[]', '{}', '{"services":"x"}', 'not json',
  'a'.repeat(10_000), 'x,'.repeat(500), '\u202egnp.exe', '日本語のサービス', '🙂🙃', 'line1\nline2', 'a\rb', '\u0007\u001b[31m', '%', '%%', '{service}', '--dry-run', '-', 'Chat-Service', 'chat_service', 'a'.repeat(64),
];

export const hostileValue: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 4, arbitrary: fc.constantFrom(...KNOWN_BAD) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double()).map(String) },
    { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true }) },
  )
  // an environment variable cannot hold NUL: the runner could never pass one
  .filter((value) => !value.includes('\u0000'));
