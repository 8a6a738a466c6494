import type pg from 'pg';
import { z } from 'zod';
import { qualified, type TableCounts, USER_TABLES } from './postgres.js';

/**
 * Tables up to this size are checksummed whole; above it, the first SAMPLE_ROWS rows by primary key
 * (an index scan, so the check stays seconds on a large database) plus the exact row count.
 */
export const FULL_CHECKSUM_BYTES = 256 * 1024 * 1024;
export const SAMPLE_ROWS = 100_000;

export const tableFingerprintSchema = z.object({
  rows: z.number().int().nonnegative(),
  /** Sum of the 64-bit hashes of every row's text: independent of physical order, so equal after a restore. */
  checksum: z.string(),
  scope: z.enum(['full', 'sampled', 'none']),
  columns: z.array(z.string()),
  indexes: z.array(z.string()),
});
export const fingerprintSchema = z.record(z.string(), tableFingerprintSchema);
export type TableFingerprint = z.infer<typeof tableFingerprintSchema>;
export type Fingerprint = z.infer<typeof fingerprintSchema>;

async function shapes(client: pg.Client): Promise<{ columns: Map<string, string[]>; indexes: Map<string, string[]> }> {
  const columns = new Map<string, string[]>();
  const indexes = new Map<string, string[]>();
  const cols = await client.query<{ t: string; c: string }>(
    `SELECT n.nspname || '.' || c.relname AS t, a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END AS c
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND n.nspname NOT IN ('pg_catalog', 'information_schema')
     ORDER BY 1, a.attnum`,
  );
  for (const { t, c } of cols.rows) columns.set(t, [...(columns.get(t) ?? []), c]);
  const idx = await client.query<{ t: string; d: string }>(
    `SELECT schemaname || '.' || tablename AS t, indexdef AS d FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`,
  );
  for (const { t, d } of idx.rows) indexes.set(t, [...(indexes.get(t) ?? []), d]);
  return { columns, indexes };
}

async function primaryKey(client: pg.Client, table: string): Promise<string[]> {
  const result = await client.query<{ a: string }>(
    `SELECT a.attname AS a FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
     WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [table],
  );
  return result.rows.map((r) => r.a);
}

async function checksumOf(client: pg.Client, ident: string): Promise<Pick<TableFingerprint, 'rows' | 'checksum' | 'scope'>> {
  const size = await client.query<{ b: string }>('SELECT pg_relation_size($1::regclass) AS b', [ident]);
  const sum = 'coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text';
  if (Number(size.rows[0]?.b ?? 0) <= FULL_CHECKSUM_BYTES) {
    const r = await client.query<{ n: string; h: string }>(`SELECT count(*) AS n, ${sum} AS h FROM ${ident} t`);
    return { rows: Number(r.rows[0]?.n ?? 0), checksum: r.rows[0]?.h ?? '0', scope: 'full' };
  }
  const count = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${ident}`);
  const key = await primaryKey(client, ident);
  if (key.length === 0) return { rows: Number(count.rows[0]?.n ?? 0), checksum: '', scope: 'none' };
  const order = key.map((k) => client.escapeIdentifier(k)).join(', ');
  const r = await client.query<{ h: string }>(`SELECT ${sum} AS h FROM (SELECT * FROM ${ident} ORDER BY ${order} LIMIT ${SAMPLE_ROWS}) t`);
  return { rows: Number(count.rows[0]?.n ?? 0), checksum: r.rows[0]?.h ?? '0', scope: 'sampled' };
}

/** Rows, content checksum, columns and indexes of every user table, as this session's snapshot sees them. */
export async function fingerprint(client: pg.Client): Promise<Fingerprint> {
  const tables = await client.query<{ schema: string; name: string }>(USER_TABLES);
  const { columns, indexes } = await shapes(client);
  const result: Fingerprint = {};
  for (const { schema, name } of tables.rows) {
    const key = `${schema}.${name}`;
    result[key] = { ...(await checksumOf(client, qualified(client, schema, name))), columns: columns.get(key) ?? [], indexes: indexes.get(key) ?? [] };
  }
  return result;
}

export function countsOf(print: Fingerprint): TableCounts {
  return Object.fromEntries(Object.entries(print).map(([name, table]) => [name, table.rows]));
}

export interface TableComparison {
  table: string;
  rowsBefore: number | undefined;
  rowsAfter: number | undefined;
  checksum: 'equal' | 'different' | 'not compared';
  columns: 'equal' | 'different' | 'not compared';
  indexes: 'equal' | 'different' | 'not compared';
  scope: TableFingerprint['scope'] | 'absent';
  equal: boolean;
}

const same = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function compareFingerprints(expected: Fingerprint, actual: Fingerprint): TableComparison[] {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return names.map((table) => {
    const e = expected[table];
    const a = actual[table];
    const comparable = e && a && e.scope !== 'none' && e.scope === a.scope;
    const checksum = comparable ? (e.checksum === a.checksum ? 'equal' : 'different') : 'not compared';
    const columns = same(e?.columns, a?.columns) ? 'equal' : 'different';
    const indexes = same(e?.indexes, a?.indexes) ? 'equal' : 'different';
    // a table the backup does not hold is left as it is by pg_restore --clean: reported, not a difference
    const equal = !e || (Boolean(a) && e.rows === a?.rows && checksum !== 'different' && columns === 'equal' && indexes === 'equal');
    return { table, rowsBefore: e?.rows, rowsAfter: a?.rows, checksum, columns, indexes, scope: e?.scope ?? 'absent', equal };
  });
}

/** Against an archive without our record: only the rows counted in its COPY data can be compared. */
export function compareCounts(expected: TableCounts, actual: Fingerprint): TableComparison[] {
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return names.map((table) => {
    const rowsBefore = expected[table];
    const rowsAfter = actual[table]?.rows;
    return {
      table,
      rowsBefore,
      rowsAfter,
      checksum: 'not compared',
      columns: 'not compared',
      indexes: 'not compared',
      scope: rowsBefore === undefined ? 'absent' : 'none',
      equal: rowsBefore === undefined || rowsBefore === rowsAfter,
    };
  });
}

export function tablesNotInBackup(comparison: readonly TableComparison[]): string[] {
  return comparison.filter((c) => c.rowsBefore === undefined).map((c) => c.table);
}

export function differences(comparison: readonly TableComparison[]): string[] {
  return comparison
    .filter((c) => !c.equal)
    .map((c) => {
      if (c.rowsAfter === undefined) return `${c.table}: in the backup, absent now`;
      const parts = [
        c.rowsBefore !== c.rowsAfter ? `${c.rowsBefore} rows expected, ${c.rowsAfter} found` : '',
        c.checksum === 'different' ? 'content checksum differs' : '',
        c.columns === 'different' ? 'columns differ' : '',
        c.indexes === 'different' ? 'indexes differ' : '',
      ];
      return `${c.table}: ${parts.filter(Boolean).join(', ')}`;
    });
}
