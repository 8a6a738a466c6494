/** What the domain folders log through; the GitHub host and the CLI each provide one. */
export interface Logger {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  group<T>(name: string, body: () => Promise<T>): Promise<T>;
}

/** Collects lines, for tests and for code that must stay quiet. */
export function createMemoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warning: (m) => lines.push(`warning: ${m}`),
    debug: () => undefined,
    group: async (name, body) => {
      lines.push(`## ${name}`);
      return body();
    },
  };
}

/** Logs at most once per `intervalMs` per key, so long waits show progress without flooding. */
export function createThrottle(intervalMs: number, now: () => number = Date.now): (key: string) => boolean {
  const last = new Map<string, number>();
  return (key) => {
    const t = now();
    const previous = last.get(key);
    if (previous !== undefined && t - previous < intervalMs) return false;
    last.set(key, t);
    return true;
  };
}
