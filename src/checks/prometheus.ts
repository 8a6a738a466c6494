import { type Check, type CheckOutcome, errorText } from './types.js';

export interface PromQuery {
  name: string;
  expr: string;
  op: '<' | '<=' | '>' | '>=' | '==' | '!=';
  threshold: number;
}

/** Reads a Prometheus HTTP API path (`/api/v1/…`), directly or through the API server's service proxy. */
export type PrometheusGet = (pathAndQuery: string, signal: AbortSignal) => Promise<unknown>;

interface Alert {
  labels: Record<string, string>;
  state: string;
  activeAt?: string;
}

export function parseSelector(text: string | undefined): [string, string][] {
  if (!text) return [];
  return text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => {
      const [k, ...v] = t.split('=');
      return [k?.trim() ?? '', v.join('=').trim()];
    });
}

export function compare(value: number, op: PromQuery['op'], threshold: number): boolean {
  switch (op) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

export function alertsCheck(get: PrometheusGet, selector: string | undefined, ignore: string[], services: string[]): Check {
  const wanted = parseSelector(selector);
  return {
    name: 'alerts',
    service: undefined,
    signal: true,
    async run(signal): Promise<CheckOutcome> {
      try {
        const body = (await get('/api/v1/alerts', signal)) as { data?: { alerts?: Alert[] } };
        const firing = (body.data?.alerts ?? []).filter(
          (a) => a.state === 'firing' && !ignore.includes(a.labels.alertname ?? '') && wanted.every(([k, v]) => a.labels[k] === v),
        );
        if (!firing.length) return { ok: true, detail: `no firing alerts match ${selector ?? 'any labels'}` };
        const names = firing.map(
          (a) =>
            `${a.labels.alertname}{${Object.entries(a.labels)
              .filter(([k]) => k !== 'alertname')
              .map(([k, v]) => `${k}="${v}"`)
              .join(',')}}`,
        );
        const affects = [...new Set(firing.map((a) => a.labels.service ?? a.labels.app ?? '').filter((s) => services.includes(s)))];
        const platformWide = firing.some((a) => !services.includes(a.labels.service ?? a.labels.app ?? ''));
        return {
          ok: false,
          detail: `firing: ${names.join(', ')}`,
          criticalAlert: firing.some((a) => a.labels.severity === 'critical'),
          ...(affects.length && !platformWide ? { affects } : {}),
        };
      } catch (error) {
        return { ok: false, detail: `Prometheus alerts: ${errorText(error)}` };
      }
    },
  };
}

export function queryCheck(get: PrometheusGet, query: PromQuery): Check {
  return {
    name: `query:${query.name}`,
    service: undefined,
    signal: true,
    async run(signal): Promise<CheckOutcome> {
      try {
        const body = (await get(`/api/v1/query?query=${encodeURIComponent(query.expr)}`, signal)) as {
          status?: string;
          error?: string;
          data?: { resultType?: string; result?: unknown };
        };
        if (body.status !== 'success') return { ok: false, detail: `${query.name}: ${body.error ?? 'query failed'}` };
        const result = body.data?.result;
        const values: number[] =
          body.data?.resultType === 'scalar' && Array.isArray(result)
            ? [Number(result[1])]
            : Array.isArray(result)
              ? (result as { value?: [number, string] }[]).map((r) => Number(r.value?.[1]))
              : [];
        if (!values.length) return { ok: false, detail: `${query.name}: the query returned no samples` };
        const failing = values.filter((v) => !compare(v, query.op, query.threshold));
        const shown = values.map((v) => Number(v.toPrecision(6))).join(', ');
        return { ok: failing.length === 0, detail: `${query.name} = ${shown} (want ${query.op} ${query.threshold})` };
      } catch (error) {
        return { ok: false, detail: `${query.name}: ${errorText(error)}` };
      }
    },
  };
}

/** fetch refuses URLs with user-info: `http://user:pw@prom:9090` becomes the URL without it and a Basic header. */
export function prometheusEndpoint(baseUrl: string): { base: string; headers: Record<string, string> } {
  const url = new URL(baseUrl);
  const headers: Record<string, string> = {};
  if (url.username || url.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  return { base: url.toString().replace(/\/+$/, ''), headers };
}

export function prometheusOverHttp(baseUrl: string, timeoutMs: number): PrometheusGet {
  const { base, headers } = prometheusEndpoint(baseUrl);
  return async (pathAndQuery, signal) => {
    const response = await fetch(base + pathAndQuery, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
    if (!response.ok && response.status !== 400 && response.status !== 422) throw new Error(`HTTP ${response.status} from Prometheus`);
    return response.json();
  };
}
