import { formatDuration } from '../core/durations.js';
import type { CliStreams } from './cli-host.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** One live line per phase: a spinner in a terminal, plain lines elsewhere (CI, files). */
export function phaseReporter(streams: CliStreams, tty: boolean) {
  return {
    note(text: string): void {
      streams.err(`${text}\n`);
    },
    skip(name: string, why: string): void {
      streams.err(`➖ ${name}: skipped — ${why}\n`);
    },
    start(name: string): (ok: boolean, detail: string) => void {
      const t0 = Date.now();
      let frame = 0;
      const timer = tty ? setInterval(() => streams.err(`\r${FRAMES[frame++ % FRAMES.length]} ${name} ${formatDuration(Date.now() - t0)}   `), 100) : undefined;
      if (!tty) streams.err(`▶ ${name}\n`);
      return (ok, detail) => {
        clearInterval(timer);
        streams.err(`${tty ? '\r\x1b[2K' : ''}${ok ? '✓' : '✗'} ${name} (${formatDuration(Date.now() - t0)}) ${detail}\n`);
      };
    },
  };
}
