import { OutsideFailure } from './outside.js';

/**
 * A mistake the user can fix (an input, a missing file, a precondition on the platform).
 * The entry prints it as the one `::error::` line without a stack trace.
 */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(
    message: string,
    readonly input?: string,
  ) {
    super(message);
  }
}

/** The run's `timeout` passed (or it was cancelled) before the work was done. */
export class RunTimeout extends Error {
  override readonly name = 'RunTimeout';
}

/** A step that failed at run time: the message names the step, the cause is kept for debug output. */
export class StepFailure extends Error {
  override readonly name = 'StepFailure';
  constructor(
    readonly step: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function describeError(error: unknown): string {
  if (error instanceof OutsideFailure) return error.sentence();
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/** The one line the entry prints for any failure, Error or not. */
export function failureLine(error: unknown): string {
  if (error instanceof ConfigurationError) {
    return error.input ? `Input '${error.input}' ${error.message}` : error.message;
  }
  if (error instanceof StepFailure) return `${error.step} failed: ${error.message}`;
  if (error instanceof OutsideFailure) return error.sentence();
  if (error instanceof RunTimeout) return error.message;
  return `Internal failure (please report it with the debug log): ${describeError(error)}`;
}
