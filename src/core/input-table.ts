import { z } from 'zod';

/**
 * One input, declared once: action.yml, the CLI's flags and --help, the secret masking and the zod
 * schema are all made from this. `type` validates the raw text; it never sees `undefined` for an input
 * with a `default` (the schema fills the default in, as the runner does from action.yml).
 */
export interface InputDeclaration<T extends z.ZodType = z.ZodType> {
  description: string;
  required?: boolean;
  default?: string;
  /** Masked before anything is read or logged. */
  secret?: boolean;
  /**
   * Set empty, the input means "none" (e.g. `ingress-manifest: ''` skips the ingress); the default
   * applies only when the input is not given at all, which the runner and the CLI decide.
   */
  blankMeansNone?: boolean;
  type: T;
}

export type InputTable = Record<string, InputDeclaration>;

/** What the metadata needs of a declaration (action.yml, --help): everything but the validator. */
export type InputSpec = Omit<InputDeclaration, 'type'>;

type Shape<D extends InputTable> = { [K in keyof D]: z.ZodPipe<z.ZodTransform<unknown, unknown>, D[K]['type']> };

/** Declares one input: its validator and what users read about it. */
export function input<T extends z.ZodType>(type: T, spec: InputSpec): InputDeclaration<T> {
  return { ...spec, type };
}

/** The zod shape of a table: each validator, with the declared default filled in for an unset input. */
export function inputShape<D extends InputTable>(table: D): Shape<D> {
  const entries = Object.entries(table).map(([name, declaration]) => {
    const fallback = declaration.blankMeansNone ? undefined : declaration.default;
    return [name, z.preprocess((value) => (value === undefined ? fallback : value), declaration.type)];
  });
  return Object.fromEntries(entries) as Shape<D>;
}

export function secretInputsOf(table: InputTable): string[] {
  return Object.entries(table)
    .filter(([, declaration]) => declaration.secret)
    .map(([name]) => name);
}
