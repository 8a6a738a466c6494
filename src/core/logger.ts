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
