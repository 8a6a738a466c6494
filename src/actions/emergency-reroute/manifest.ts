import { type ActionManifest, KUBE_CONNECTION_INPUTS } from '../manifest.js';

export const manifest: ActionManifest = {
  name: 'emergency-reroute',
  command: 'reroute',
  description: 'Apply the backup ingress and the gateway circuit breaker with a snapshot first, and restore both exactly.',
  icon: 'shuffle',
  color: 'red',
  post: true,
  inputs: {
    mode: { description: '`activate` or `restore`.', default: 'activate' },
    ...KUBE_CONNECTION_INPUTS,
    'ingress-manifest': {
      description: 'Backup ingress manifest (Ingress and Service objects); set empty to skip.',
      default: 'infra/kubernetes/emergency/backup-ingress.yaml',
    },
    'circuit-breaker': { description: 'Enable the gateway circuit breaker.', default: 'true' },
    'gateway-deployment': { description: 'Gateway deployment name.', default: 'gateway-bff' },
    'failure-threshold': { description: 'FAILURE_THRESHOLD for the circuit breaker, 1–1000.', default: '5' },
    'dns-provider': { description: '`azure` or `cloudflare`: also point a DNS record at the backup environment (empty: no DNS change).' },
    'dns-zone': { description: 'DNS zone, e.g. keiko.com.' },
    'dns-record': { description: 'Record name inside the zone, e.g. api (or @).' },
    'dns-target': { description: 'New value: a hostname (CNAME) or an IPv4 address (A record).' },
    'dns-ttl': { description: 'TTL set before the switch and kept while rerouted (seconds).', default: '60' },
    'dns-token': {
      description: 'Cloudflare API token, or an Azure bearer token (default for Azure: the azure/login session via `az account get-access-token`) (secret).',
      secret: true,
    },
    'dns-api-url': { description: 'DNS API base URL (default: https://api.cloudflare.com/client/v4 or https://management.azure.com).' },
    'azure-subscription-id': { description: 'Azure subscription of the DNS zone.' },
    'azure-resource-group': { description: 'Azure resource group of the DNS zone.' },
    force: { description: 'Take over fields another field manager owns (server-side apply force).', default: 'false' },
    timeout: { description: 'Limit for the whole run.', default: '5m' },
    'dry-run': { description: 'Validate, diff and server-side dry-run; change nothing.', default: 'false' },
  },
  outputs: {
    applied: 'Kind/name of every object applied or restored.',
    state: 'JSON snapshot of what was there before.',
    result: 'JSON report.',
  },
};
