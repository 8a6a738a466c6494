import type pg from 'pg';
import { z } from 'zod';
import { describeError } from '../core/errors.js';
import { quoteTable, tableKey } from './postgres.js';

/** One statement of a downgrade that removes data, and how much it removes in the live database. */
export const dataLossSchema = z.object({
  migration: z.string(),
  statement: z.enum(['DROP TABLE', 'DROP COLUMN', 'TRUNCATE', 'DELETE', 'UNKNOWN']),
  table: z.string(),
  column: z.string().optional(),
  /** Rows removed (DROP TABLE, TRUNCATE, DELETE) or rows of the table (DROP COLUMN); null when not estimated. */
  rows: z.number().int().nonnegative().nullable(),
  /** DROP COLUMN: rows where the column holds a value. */
  values: z.number().int().nonnegative().optional(),
  note: z.string(),
});
export type DataLoss = z.infer<typeof dataLossSchema>;

export interface LossStatement {
  migration: string;
  statement: DataLoss['statement'];
  table: string;
  column?: string;
  where?: string;
  sql: string;
}

/** The migration tools' own bookkeeping: its rows are not the application's data. */
const BOOKKEEPING = new Set(['public.alembic_version', 'public.flyway_schema_history']);
const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)(?:\.(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*))?`;
const splitIdents = (list: string): string[] =>
  [...list.matchAll(new RegExp(IDENT, 'g'))].map((m) => m[0]).filter((name) => !/^(CASCADE|RESTRICT|ONLY)$/i.test(name));
const unquote = (name: string): string => (name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase());

/** Splits SQL into statements at top-level semicolons (not inside quotes or dollar-quoted bodies). */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i] ?? '';
    const dollar = ch === '$' ? /^\$[A-Za-z_]*\$/.exec(sql.slice(i)) : null;
    if (ch === "'" || ch === '"' || dollar) {
      const close = dollar ? dollar[0] : ch;
      const end = sql.indexOf(close, i + close.length);
      const stop = end === -1 ? sql.length : end + close.length;
      current += sql.slice(i, stop);
      i = stop - 1;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      current += sql.slice(i, stop);
      i = stop - 1;
    } else if (ch === ';') {
      statements.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) statements.push(current.trim());
  return statements.filter(Boolean);
}

const withoutComments = (statement: string): string =>
  statement
    .replace(/--[^\n]*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** The statements of one migration's downgrade SQL that drop or delete data. */
export function lossStatements(migration: string, sql: string): LossStatement[] {
  const found: LossStatement[] = [];
  for (const raw of splitStatements(sql)) {
    const text = withoutComments(raw);
    const add = (statement: LossStatement['statement'], table: string, extra: Partial<LossStatement> = {}): void => {
      const key = tableKey(table);
      if (!BOOKKEEPING.has(key)) found.push({ migration, statement, table: key, sql: text, ...extra });
    };
    // the statement shapes that lose data, tried in order; the first that matches says what is lost
    const shapes: [RegExp, (m: RegExpExecArray) => void][] = [
      [
        /^DROP TABLE (?:IF EXISTS )?(.+?)(?: CASCADE| RESTRICT)?$/i,
        (m) => {
          for (const table of splitIdents(m[1] ?? '')) add('DROP TABLE', table);
        },
      ],
      [
        new RegExp(`^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?(${IDENT}) (.*)$`, 'i'),
        (m) => {
          for (const drop of (m[2] ?? '').matchAll(new RegExp(`DROP (?:COLUMN )?(?:IF EXISTS )?(${IDENT})`, 'gi'))) {
            const column = drop[1] ?? '';
            if (!/^CONSTRAINT$/i.test(column)) add('DROP COLUMN', m[1] ?? '', { column: unquote(column) });
          }
        },
      ],
      [
        /^TRUNCATE (?:TABLE )?(?:ONLY )?(.+?)(?: (?:RESTART|CONTINUE) IDENTITY)?(?: CASCADE| RESTRICT)?$/i,
        (m) => {
          for (const table of splitIdents(m[1] ?? '')) add('TRUNCATE', table);
        },
      ],
      [
        new RegExp(String.raw`^DELETE FROM (?:ONLY )?(${IDENT})(?: (?:AS )?\w+)?(?: WHERE (.*))?$`, 'i'),
        (m) => add('DELETE', m[1] ?? '', m[2] ? { where: m[2] } : {}),
      ],
    ];
    const shape = shapes.map(([pattern, handle]) => [pattern.exec(text), handle] as const).find(([m]) => m !== null);
    if (shape?.[0]) shape[1](shape[0]);
    else if (/\b(DROP (SCHEMA|DATABASE|MATERIALIZED VIEW|OWNED)|TRUNCATE|DELETE FROM)\b/i.test(text) || /^(DO|EXECUTE|CALL)\b/i.test(text)) {
      found.push({ migration, statement: 'UNKNOWN', table: '—', sql: text });
    }
  }
  return found;
}

async function countWhere(client: pg.Client, table: string, where: string): Promise<number> {
  const ident = quoteTable(client, table);
  const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${ident} WHERE ${where}`);
  return Number(result.rows[0]?.n ?? 0);
}

/**
 * Counts, in the live database, what each statement would remove. Runs read-only with a short
 * statement timeout; a WHERE clause is evaluated as the downgrade would evaluate it.
 */
export async function estimateLoss(client: pg.Client, statements: readonly LossStatement[]): Promise<DataLoss[]> {
  await client.query("BEGIN TRANSACTION READ ONLY; SET LOCAL statement_timeout = '30s'");
  try {
    const losses: DataLoss[] = [];
    for (const s of statements) {
      const base = { migration: s.migration, statement: s.statement, table: s.table, ...(s.column ? { column: s.column } : {}) };
      if (s.statement === 'UNKNOWN') {
        losses.push({ ...base, rows: null, note: `cannot be estimated: ${s.sql.slice(0, 160)}` });
        continue;
      }
      await client.query('SAVEPOINT estimate');
      try {
        const exists = (await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [quoteTable(client, s.table)])).rows[0]?.t;
        if (!exists) {
          losses.push({ ...base, rows: 0, note: 'table does not exist now' });
        } else if (s.statement === 'DROP COLUMN') {
          const rows = await countWhere(client, s.table, 'true');
          const values = await countWhere(client, s.table, `${client.escapeIdentifier(s.column ?? '')} IS NOT NULL`);
          losses.push({ ...base, rows, values, note: `${values} of ${rows} rows hold a value` });
        } else {
          const rows = await countWhere(client, s.table, s.where ?? 'true');
          losses.push({ ...base, rows, note: s.where ? `rows matching WHERE ${s.where.slice(0, 80)}` : 'every row' });
        }
        await client.query('RELEASE SAVEPOINT estimate');
      } catch (error) {
        await client.query('ROLLBACK TO SAVEPOINT estimate');
        losses.push({ ...base, rows: null, note: `cannot be estimated: ${describeError(error)}` });
      }
    }
    return losses;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

/** Rows (or values, for a dropped column) the downgrade removes; null entries are not counted. */
export function lossTotal(losses: readonly DataLoss[]): number {
  return losses.reduce((sum, l) => sum + (l.statement === 'DROP COLUMN' ? (l.values ?? 0) : (l.rows ?? 0)), 0);
}
