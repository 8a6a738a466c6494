/**
 * Where a step's first milliseconds go, in ms after the process started: Node's own bootstrap, the shared
 * bundle, the action's code, the validated inputs, the connected clients. One debug line at the end of the
 * run (`::debug::`, shown with step debug logging), which `npm run bench` also reads.
 */
const marks = new Map<string, number>();

/** The first time a moment is reached counts (the CLI and tests run several actions in one process). */
export function markStartup(name: string): void {
  if (!marks.has(name)) marks.set(name, Math.round(performance.now()));
}

export function startupLine(): string {
  const moments = [['node', Math.round(performance.nodeTiming.bootstrapComplete)] as const, ...marks];
  return `startup (ms after the process started): ${moments.map(([name, ms]) => `${name} ${ms}`).join(', ')}`;
}
