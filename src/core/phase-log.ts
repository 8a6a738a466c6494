import { formatDuration } from './durations.js';
import { describeError } from './errors.js';
import type { Logger } from './logger.js';

export interface PhaseRecord {
  phase: string;
  status: 'ok' | 'failed' | 'skipped';
  'duration-ms': number;
  detail: string;
}

/**
 * The phases of a run, shared by every action: each runs inside a log group (`core.group` on the runner) and its
 * outcome and time are recorded for the summary (and, for rollback-database, `result`).
 */
export class PhaseLog {
  readonly phases: PhaseRecord[] = [];

  constructor(private readonly log: Logger) {}

  /** `title` is the log group's heading when it says more than the phase's name. */
  async run<T>(phase: string, body: () => Promise<{ value: T; detail: string }>, title = phase): Promise<T> {
    const started = Date.now();
    try {
      const { value, detail } = await this.log.group(title, body);
      this.phases.push({ phase, status: 'ok', 'duration-ms': Date.now() - started, detail });
      return value;
    } catch (error) {
      this.phases.push({ phase, status: 'failed', 'duration-ms': Date.now() - started, detail: describeError(error) });
      throw error;
    }
  }

  /** A phase whose value needs no detail line. */
  step<T>(phase: string, body: () => Promise<T>, title = phase): Promise<T> {
    return this.run(phase, async () => ({ value: await body(), detail: '' }), title);
  }

  /** A line for the end of a summary: each phase with its time, e.g. "_Phases: Plan 0.1s · Converge 1.2s_". Empty without phases. */
  line(): string {
    if (this.phases.length === 0) return '';
    // the phase's name without the details its log group gives: "Apply (server-side, …)" → "Apply"
    const name = (phase: string): string => phase.replace(/ \(.*$/, '');
    return `_Phases: ${this.phases.map((p) => `${name(p.phase)} ${p.status === 'ok' ? formatDuration(p['duration-ms']) : p.status}`).join(' · ')}_`;
  }

  skip(phase: string, detail: string): void {
    this.phases.push({ phase, status: 'skipped', 'duration-ms': 0, detail });
    this.log.info(`${phase}: skipped (${detail})`);
  }
}
