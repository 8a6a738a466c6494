import type { Logger } from '../core/logger.js';

export interface GrafanaOptions {
  url: string;
  token: string;
  tags: string[];
  log: Logger;
}

/** Marks the moment on every dashboard (POST /api/annotations); a failure is a warning, never a failed verify. */
export async function annotate(options: GrafanaOptions, text: string, extraTags: string[] = []): Promise<boolean> {
  try {
    const response = await fetch(`${options.url.replace(/\/+$/, '')}/api/annotations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ time: Date.now(), tags: [...options.tags, ...extraTags], text }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) {
      options.log.warning(`Grafana annotation not written: HTTP ${response.status}${response.status === 401 ? ' (the token was rejected)' : ''}`);
      return false;
    }
    return true;
  } catch (error) {
    options.log.warning(`Grafana annotation not written: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}
