import { type KubeObject, meta, str, stringMap } from './types.js';

/** One requirement of a label selector, as apimachinery's labels.Parse understands it. */
export interface Requirement {
  key: string;
  op: 'in' | 'notin' | 'exists' | '!exists' | '=' | '!=';
  values: string[];
}

export class SelectorError extends Error {}

const SET_REQUIREMENT = /^([A-Za-z0-9._/-]+)\s+(in|notin)\s+\(([^)]*)\)$/;
const EQUALITY = /^([A-Za-z0-9._/-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)$/;
const EXISTS = /^(!?)([A-Za-z0-9._/-]+)$/;

/** Splits on commas outside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) terms.push(current.trim());
  return terms;
}

export function parseLabelSelector(text: string | null): Requirement[] {
  if (!text) return [];
  return splitTerms(text).map((term) => {
    const set = SET_REQUIREMENT.exec(term);
    if (set) {
      const values = (set[3] ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
      return { key: set[1] ?? '', op: set[2] as 'in' | 'notin', values };
    }
    const eq = EQUALITY.exec(term);
    if (eq) return { key: eq[1] ?? '', op: eq[2] === '!=' ? '!=' : '=', values: [eq[3] ?? ''] };
    const exists = EXISTS.exec(term);
    if (exists) return { key: exists[2] ?? '', op: exists[1] ? '!exists' : 'exists', values: [] };
    throw new SelectorError(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
  });
}

export function matchesLabels(labels: Record<string, string>, requirements: Requirement[]): boolean {
  return requirements.every((r) => {
    const value = labels[r.key];
    switch (r.op) {
      case 'exists':
        return value !== undefined;
      case '!exists':
        return value === undefined;
      case '=':
        return value === r.values[0];
      case '!=':
        return value !== r.values[0];
      case 'in':
        return value !== undefined && r.values.includes(value);
      case 'notin':
        return value === undefined || !r.values.includes(value);
      default:
        return false;
    }
  });
}

export interface FieldRequirement {
  field: 'metadata.name' | 'metadata.namespace';
  equal: boolean;
  value: string;
}

export function parseFieldSelector(text: string | null): FieldRequirement[] {
  if (!text) return [];
  return text.split(',').map((term) => {
    const match = /^(metadata\.name|metadata\.namespace)\s*(==|=|!=)\s*(.*)$/.exec(term.trim());
    if (!match) throw new SelectorError(`"${term}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    return { field: match[1] as FieldRequirement['field'], equal: match[2] !== '!=', value: match[3] ?? '' };
  });
}

export function matchesFields(object: KubeObject, requirements: FieldRequirement[]): boolean {
  const m = meta(object);
  return requirements.every((r) => {
    const actual = str(r.field === 'metadata.name' ? m.name : m.namespace) ?? '';
    return (actual === r.value) === r.equal;
  });
}

export interface ObjectFilter {
  labels: Requirement[];
  fields: FieldRequirement[];
}

export function matchesFilter(object: KubeObject, filter: ObjectFilter): boolean {
  return matchesLabels(stringMap(meta(object).labels), filter.labels) && matchesFields(object, filter.fields);
}

/** A Deployment's `spec.selector` (matchLabels + matchExpressions) as requirements. */
export function requirementsOfSelector(selector: KubeObject | undefined): Requirement[] {
  if (!selector) return [];
  const requirements: Requirement[] = Object.entries(stringMap(selector.matchLabels)).map(([key, value]) => ({ key, op: '=', values: [value] }));
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  for (const expression of expressions) {
    if (typeof expression !== 'object' || expression === null || Array.isArray(expression)) continue;
    const op = str(expression.operator);
    const key = str(expression.key) ?? '';
    const values = Array.isArray(expression.values) ? expression.values.filter((v): v is string => typeof v === 'string') : [];
    if (op === 'In') requirements.push({ key, op: 'in', values });
    else if (op === 'NotIn') requirements.push({ key, op: 'notin', values });
    else if (op === 'Exists') requirements.push({ key, op: 'exists', values: [] });
    else if (op === 'DoesNotExist') requirements.push({ key, op: '!exists', values: [] });
  }
  return requirements;
}
