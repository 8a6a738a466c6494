import type { Logger } from '../../core/logger.js';

export interface PhaseRecord {
  phase: string;
  status: 'ok' | 'failed' | 'skipped';
  'duration-ms': number;
  detail: string;
}

/** Runs each phase inside a log group and records its outcome and time for the summary and `result`. */
export class PhaseLog {
  readonly phases: PhaseRecord[] = [];

  constructor(private readonly log: Logger) {}

  async run<T>(phase: string, body: () => Promise<{ value: T; detail: string }>): Promise<T> {
    const started = Date.now();
    try {
      const { value, detail } = await this.log.group(phase, body);
      this.phases.push({ phase, status: 'ok', 'duration-ms': Date.now() - started, detail });
      return value;
    } catch (error) {
      this.phases.push({ phase, status: 'failed', 'duration-ms': Date.now() - started, detail: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  }

  skip(phase: string, detail: string): void {
    this.phases.push({ phase, status: 'skipped', 'duration-ms': 0, detail });
    this.log.info(`${phase}: skipped (${detail})`);
  }
}
