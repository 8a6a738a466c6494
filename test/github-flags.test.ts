import { describe, expect, it } from 'vitest';
import { GITHUB_COMMAND_FLAGS, parseGitHubFlags, required, rollbackSeverityOf } from '../src/cli/github-flags.js';

describe('the workflow helper commands read their flags through one declared table', () => {
  it('types what it reads: booleans as the actions read them, times, durations, numbers, the needs JSON', () => {
    const flags = parseGitHubFlags(
      { reroute: 'True', 'detected-at': '1764126720', 'poll-interval': '30s', 'claim-deployment': '42', needs: '{"services":{"result":"success"}}' },
      '2m',
    );
    expect(flags.reroute).toBe(true);
    expect(flags['dry-run']).toBe(false);
    expect(flags['detected-at']?.toISOString()).toBe('2025-11-26T03:12:00.000Z');
    expect(flags['poll-interval']).toBe(30_000);
    expect(flags.timeout).toBe(120_000);
    expect(flags['claim-deployment']).toBe(42);
    expect(flags.needs).toEqual({ services: { result: 'success' } });
    expect(flags['deploy-failure-severity']).toBe('high');
    expect(parseGitHubFlags({ chat: 'none' }, '2m').chat).toBeUndefined();
  });

  it.for([
    [{ reroute: 'yes' }, /^--reroute must be true or false/],
    [{ 'detected-at': 'yesterday' }, /^--detected-at must be an ISO 8601 time/],
    [{ 'claim-deployment': '4x' }, /^--claim-deployment must be a whole number/],
    [{ needs: '[1]' }, /^--needs must be the JSON of the needs context/],
    [{ severity: 'urgent' }, /^--severity must be one of critical \| high \| medium \| low, got "urgent"/],
    [{ timeout: 'soon' }, /^--timeout must be a duration/],
    [{ chat: 'discord' }, /^--chat must be none, slack or teams/],
  ] as const)('refuses %j naming the flag', ([flags, message]) => {
    expect(() => parseGitHubFlags(flags, '2m')).toThrow(message);
  });

  it('a command names the flag it cannot run without; a rollback is never of severity none', () => {
    expect(() => required(parseGitHubFlags({}, '2m'), 'repo')).toThrow('--repo is required');
    expect(() => rollbackSeverityOf(parseGitHubFlags({ severity: 'none' }, '2m'))).toThrow('--severity must be one of');
    expect(rollbackSeverityOf(parseGitHubFlags({ severity: 'critical' }, '2m'))).toBe('critical');
  });

  it('declares every flag with a description', () => {
    for (const [name, declaration] of Object.entries(GITHUB_COMMAND_FLAGS)) expect(declaration.description.length, name).toBeGreaterThan(3);
  });
});
