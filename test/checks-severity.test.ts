import { describe, expect, it } from 'vitest';
import { gradeSeverity } from '../src/checks/severity.js';
import { splitCommand } from '../src/checks/smoke.js';
import { bodyProblem } from '../src/checks/http.js';
import type { CheckReport } from '../src/checks/types.js';

const services = (n: number): string[] => Array.from({ length: n }, (_, i) => `svc-${i}`);
const report = (service: string | null, ok: boolean, extra: Partial<CheckReport> = {}): CheckReport => ({ name: `health:${service ?? 'x'}`, service, status: ok ? 'pass' : 'fail', attempts: 1, 'latency-ms': 1, detail: '', ...extra });
function grade(total: number, failing: number, extra: CheckReport[] = []): string {
  const list = services(total);
  return gradeSeverity([...list.map((s, i) => report(s, i >= failing)), ...extra], list).severity;
}

describe('the decision matrix at each boundary', () => {
  it.each([
    [10, 0, 'none'],
    [11, 1, 'low'],
    [20, 1, 'low'],
    [10, 1, 'medium'],
    [10, 5, 'medium'],
    [4, 2, 'medium'],
    [10, 6, 'high'],
    [4, 3, 'high'],
    [10, 9, 'high'],
    [10, 10, 'critical'],
    [1, 1, 'critical'],
  ])('%i services, %i affected → %s', (total, failing, severity) => {
    expect(grade(total, failing)).toBe(severity);
  });

  it('a failing platform-wide check (database, Redis, TCP) affects all users: critical', () => {
    expect(grade(10, 0, [report(null, false, { name: 'database' })])).toBe('critical');
  });

  it('a firing alert labelled severity=critical makes it at least high', () => {
    expect(grade(20, 1, [report(null, false, { name: 'alerts', criticalAlert: true, affects: ['svc-0'] })])).toBe('high');
    expect(grade(10, 10, [report(null, false, { name: 'alerts', criticalAlert: true, affects: ['svc-0'] })])).toBe('critical');
  });
});

describe('smoke command splitting (like a shell, without one)', () => {
  it.each([
    ['pytest tests/integration/', ['pytest', 'tests/integration/']],
    [`node -e "console.log('a b')"`, ['node', '-e', "console.log('a b')"]],
    [`echo 'single $HOME' "double \\"q\\"" back\\ slash`, ['echo', 'single $HOME', 'double "q"', 'back slash']],
    ['sh -c "exit 3; rm -rf /"', ['sh', '-c', 'exit 3; rm -rf /']],
  ])('%s', (line, words) => expect(splitCommand(line)).toEqual(words));
});

describe('expect-body', () => {
  it('checks text and json:<path>=<value>', () => {
    expect(bodyProblem('{"status":"ok","db":{"up":true}}', 'json:db.up=true')).toBeUndefined();
    expect(bodyProblem('{"status":"degraded"}', 'json:status=ok')).toBe('status is "degraded", expected ok');
    expect(bodyProblem('all good', 'good')).toBeUndefined();
    expect(bodyProblem('bad', 'good')).toBe('body does not contain "good"');
  });
});
