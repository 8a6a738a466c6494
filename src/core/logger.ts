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

/** Every line of `log` begins with `prefix`, e.g. the cluster a line is about when a run rolls back several. */
export function prefixedLogger(log: Logger, prefix: string): Logger {
  return {
    info: (m) => log.info(prefix + m),
    warning: (m) => log.warning(prefix + m),
    debug: (m) => log.debug(prefix + m),
    group: (name, body) => log.group(prefix + name, body),
  };
}
