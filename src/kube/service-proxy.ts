import { ConfigurationError } from '../core/errors.js';
import type { KubeClient } from './client.js';

/** A GET through the API server's service proxy, e.g. to an in-cluster Prometheus, with the kubeconfig's credentials. */
export type ProxyGet = (pathAndQuery: string, signal: AbortSignal) => Promise<unknown>;

/** `reference` is namespace/service:port; `input` names the input it came from, for the error. */
export function serviceProxyGet(client: KubeClient, reference: string, input: string): ProxyGet {
  const match = /^([a-z0-9-]+)\/([a-z0-9-]+):(\d+)$/.exec(reference);
  if (!match) throw new ConfigurationError(`must be namespace/service:port, e.g. keiko-system/prometheus:9090, got "${reference}"`, input);
  const base = `/api/v1/namespaces/${match[1]}/services/${match[2]}:${match[3]}/proxy`;
  return async (pathAndQuery, signal) => {
    const [path = '', query = ''] = pathAndQuery.split('?');
    return client.get(base + path, Object.fromEntries(new URLSearchParams(query)), signal);
  };
}
