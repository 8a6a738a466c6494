import { describe, expect, it } from 'vitest';
import { bodyProblem } from '../src/checks/http.js';
import { gradeSeverity } from '../src/checks/severity.js';
import type { CheckReport } from '../src/checks/types.js';

const services = (n: number): string[] => Array.from({ length: n }, (_, i) => `svc-${i}`);
const report = (service: string | null, ok: boolean, extra: Partial<CheckReport> = {}): CheckReport => ({
  name: `health:${service ?? 'x'}`,
  service,
  status: ok ? 'pass' : 'fail',
  attempts: 1,
  'latency-ms': 1,
  detail: '',
  ...extra,
});
function grade(total: number, failing: number, extra: CheckReport[] = []): string {
  const list = services(total);
  return gradeSeverity([...list.map((s, i) => report(s, i >= failing)), ...extra], { services: list, source: 'test' }).severity;
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

describe('severity by impact on the platform, not on the run (regressions of issue 18)', () => {
  const platform = { services: services(10), source: 'the 10 deployments of keiko-production' };

  it('a guard for one deployed service that fails is not automatically critical: 1 of 10 platform services is medium', () => {
    const verdict = gradeSeverity([report('svc-0', false)], platform);
    expect(verdict.severity).toBe('medium');
    expect(verdict.rules[0]).toBe('1 of 10 platform services affected (10%; platform: the 10 deployments of keiko-production): svc-0 → medium');
  });

  it('one failing smoke test raises the severity one level at most, not to critical', () => {
    const smoke = report(null, false, { name: 'smoke:1 pytest', signal: true });
    expect(gradeSeverity([report('svc-0', true), smoke], platform).severity).toBe('low');
    expect(gradeSeverity([report('svc-0', false), smoke, { ...smoke, name: 'smoke:2 pnpm' }], platform).severity).toBe('high');
  });

  it('an alert on a service outside the run raises one level; labelled severity=critical it makes at least high', () => {
    const alert = report(null, false, { name: 'alerts', signal: true });
    expect(gradeSeverity([report('svc-0', true), alert], platform).severity).toBe('low');
    expect(gradeSeverity([report('svc-0', true), { ...alert, criticalAlert: true }], platform).severity).toBe('high');
  });

  it('one App Insights count over its maximum is a signal (low), not critical', () => {
    const verdict = gradeSeverity([report('svc-0', true), report(null, false, { name: 'appinsights:exceptions', signal: true })], platform);
    expect(verdict.severity).toBe('low');
    expect(verdict.rules).toContain('failing signal(s) appinsights:exceptions raise it one level at most: none → low');
  });

  it('a platform-wide dependency (database) is still all users: critical', () => {
    expect(gradeSeverity([report('svc-0', true), report(null, false, { name: 'database' })], platform).severity).toBe('critical');
  });
});

describe('expect-body', () => {
  it('checks text and json:<path>=<value>', () => {
    expect(bodyProblem('{"status":"ok","db":{"up":true}}', 'json:db.up=true')).toBeUndefined();
    expect(bodyProblem('{"status":"degraded"}', 'json:status=ok')).toBe('status is "degraded", expected ok');
    expect(bodyProblem('all good', 'good')).toBeUndefined();
    expect(bodyProblem('bad', 'good')).toBe('body does not contain "good"');
  });
});
