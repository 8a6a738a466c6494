import { z } from 'zod';
import { parseDuration } from './durations.js';
import { ConfigurationError } from './errors.js';
import { MAX_TIMER_MS } from './run-clock.js';

/**
 * Input helpers. Every action input arrives as a string; `undefined` means "not set"
 * (the runner passes `""` for an unset input without default). Messages are phrased to follow
 * "Input 'name' …" and always say what to write instead.
 */

const YAML_TRUE = ['true', 'True', 'TRUE'];
const YAML_FALSE = ['false', 'False', 'FALSE'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

type Raw = string | undefined;

function fail(ctx: z.core.$RefinementCtx, message: string): typeof z.NEVER {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

export function requiredString(hint: string) {
  return z.string({ error: () => `is required: ${hint}` }).transform((value) => value.trim());
}

export function optionalString() {
  return z
    .string()
    .optional()
    .transform((value) => value?.trim() || undefined);
}

/** Unset is false; a default of true is declared with the input. */
export function booleanInput() {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return false;
      const text = value.trim();
      if (YAML_TRUE.includes(text)) return true;
      if (YAML_FALSE.includes(text)) return false;
      return fail(ctx, `must be true or false (YAML 1.2: true | True | TRUE | false | False | FALSE), got "${text}"`);
    });
}

/** A duration; its default is declared with the input (unset and without one, it is required). */
export function durationInput() {
  return z.string({ error: () => 'is required: a duration such as 90s, 10m or 1h' }).transform((value, ctx) => {
    const text = value.trim();
    const ms = parseDuration(text);
    if (ms === undefined || ms <= 0) {
      return fail(ctx, `must be a duration such as 90s, 10m or 1h, got "${text}"`);
    }
    if (ms > MAX_TIMER_MS) return fail(ctx, `must be at most 596h (the longest wait a timer can hold), got "${text}"`);
    return ms;
  });
}

/** An input that may be unset (undefined); when set, `parse` must accept it or `problem` says why not. */
function optionalParsed<T>(parse: (text: string) => T | undefined, problem: (text: string) => string) {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      const text = value?.trim();
      if (!text) return undefined;
      const parsed = parse(text);
      return parsed === undefined ? fail(ctx, problem(text)) : parsed;
    });
}

/** An optional text input that must match `pattern` when set; `problem` says what to write instead. */
export function optionalPatternInput(pattern: RegExp, problem: (text: string) => string) {
  return optionalParsed((text) => (pattern.test(text) ? text : undefined), problem);
}

/** An optional input holding a plan (JSON); `parse` returns it or says what is wrong. */
export function planInput<T>(parse: (text: string) => T | string) {
  return optionalParsed(
    (text) => {
      const plan = parse(text);
      return typeof plan === 'string' ? undefined : plan;
    },
    (text) => String(parse(text)),
  );
}

/** A duration that may be left unset (undefined), e.g. `max-latency`. */
export function optionalDurationInput(example: string) {
  return optionalParsed(
    (text) => {
      const ms = parseDuration(text);
      return ms !== undefined && ms > 0 && ms <= MAX_TIMER_MS ? ms : undefined;
    },
    (text) => `must be a duration such as ${example}, at most 596h, got "${text}"`,
  );
}

export function integerInput(min: number, max: number) {
  return z.string({ error: () => `is required: a whole number from ${min} to ${max}` }).transform((value, ctx) => {
    const text = value.trim();
    const n = Number(text);
    if (!/^-?\d+$/.test(text) || n < min || n > max) {
      return fail(ctx, `must be a whole number from ${min} to ${max}, got "${text}"`);
    }
    return n;
  });
}

export function enumInput<const T extends readonly [string, ...string[]]>(values: T) {
  return z.string({ error: () => `is required: one of ${values.join(' | ')}` }).transform((value, ctx): T[number] => {
    const text = value.trim();
    if ((values as readonly string[]).includes(text)) return text as T[number];
    return fail(ctx, `must be one of ${values.join(' | ')}, got "${text}"`);
  });
}

/** Items separated by commas or newlines, blanks dropped. */
export function splitList(text: string | undefined): string[] {
  if (!text) return [];
  return text
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Items one per line (for values that may contain commas: URLs, commands, queries). */
export function splitLines(text: string | undefined): string[] {
  if (!text) return [];
  return text
    .split('\n')
    .map((item) => item.trim())
    .filter((item) => item.length > 0 && !item.startsWith('#'));
}

export function dnsLabelProblem(name: string): string | undefined {
  if (name.length <= 63 && DNS_LABEL.test(name)) return undefined;
  return `"${name}" is not a valid Kubernetes name (DNS-1123 label): use lowercase letters, digits and '-', start and end with a letter or digit, at most 63 characters`;
}

export function dnsLabelListInput(options: { required: boolean; hint: string }) {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      const items = splitList(value);
      if (items.length === 0) {
        if (options.required) return fail(ctx, `is required: ${options.hint}`);
        return [];
      }
      for (const item of items) {
        const problem = dnsLabelProblem(item);
        if (problem) return fail(ctx, `has ${problem}`);
      }
      return [...new Set(items)];
    });
}

export function dnsLabelInput() {
  return optionalParsed(
    (text) => (dnsLabelProblem(text) ? undefined : text),
    (text) => `is ${dnsLabelProblem(text)}`,
  );
}

export function httpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

export interface InputSource {
  getInput(name: string): string;
}

/**
 * Reads every input the schema declares, once, and validates them together. The first problem
 * becomes a ConfigurationError naming its input.
 */
export function readInputs<S extends z.ZodObject>(schema: S, source: InputSource): z.output<S> {
  const raw: Record<string, Raw> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = source.getInput(name);
    raw[name] = value === '' ? undefined : value;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const name = String(issue?.path[0] ?? 'inputs');
  throw new ConfigurationError(issue?.message ?? 'is invalid', name);
}
