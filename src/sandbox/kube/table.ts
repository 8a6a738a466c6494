import type { ResourceType } from './resources.js';
import { type Json, type JsonObject, type KubeObject, meta, num, obj, str } from './types.js';

/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), as kubectl asks for it:
 * the columns of the real server's printers for the kinds the runbook looks at, NAME and AGE for the rest.
 */
export function wantsTable(accept: string | undefined): boolean {
  return /as=Table/.test(accept ?? '');
}

interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  format?: string;
  priority?: number;
  cell(object: KubeObject): Json;
}

/** kubectl's short durations: 45s, 5m10s, 3h, 2d. */
export function age(timestamp: string | undefined, now = Date.now()): string {
  const t = Date.parse(timestamp ?? '');
  if (Number.isNaN(t)) return '<unknown>';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h` : `${Math.floor(h / 24)}d`;
}

const name: Column = { name: 'Name', type: 'string', format: 'name', cell: (o) => str(meta(o).name) ?? '' };
const created: Column = { name: 'Age', type: 'string', cell: (o) => age(str(meta(o).creationTimestamp)) };
const containerNames = (o: KubeObject): string =>
  ((obj(obj(obj(o.spec).template).spec).containers as JsonObject[] | undefined) ?? []).map((c) => str(c.name) ?? '').join(',');
const images = (o: KubeObject): string =>
  ((obj(obj(obj(o.spec).template).spec).containers as JsonObject[] | undefined) ?? []).map((c) => str(c.image) ?? '').join(',');
const selector = (o: KubeObject): string =>
  Object.entries(obj(obj(o.spec).selector).matchLabels ?? obj(o.spec).selector ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');

/** The `-o wide` columns of the kinds that hold a pod template. */
const templateColumns: Column[] = [
  { name: 'Containers', type: 'string', priority: 1, cell: containerNames },
  { name: 'Images', type: 'string', priority: 1, cell: images },
  { name: 'Selector', type: 'string', priority: 1, cell: selector },
];

function podStatus(pod: KubeObject): string {
  if (meta(pod).deletionTimestamp) return 'Terminating';
  const statuses = (obj(pod.status).containerStatuses as JsonObject[] | undefined) ?? [];
  const waiting = statuses.map((s) => str(obj(obj(s.state).waiting).reason)).find(Boolean);
  return waiting ?? str(obj(pod.status).phase) ?? 'Pending';
}

const COLUMNS: Record<string, Column[]> = {
  pods: [
    name,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => {
        const s = (obj(o.status).containerStatuses as JsonObject[] | undefined) ?? [];
        return `${s.filter((c) => c.ready === true).length}/${((obj(o.spec).containers as Json[] | undefined) ?? []).length}`;
      },
    },
    { name: 'Status', type: 'string', cell: podStatus },
    {
      name: 'Restarts',
      type: 'string',
      cell: (o) => String(((obj(o.status).containerStatuses as JsonObject[] | undefined) ?? []).reduce((n, c) => n + (num(c.restartCount) ?? 0), 0)),
    },
    created,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => str(obj(o.status).podIP) ?? '<none>' },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => str(obj(o.spec).nodeName) ?? '<none>' },
  ],
  deployments: [
    name,
    { name: 'Ready', type: 'string', cell: (o) => `${num(obj(o.status).readyReplicas) ?? 0}/${num(obj(o.spec).replicas) ?? 1}` },
    { name: 'Up-to-date', type: 'integer', cell: (o) => num(obj(o.status).updatedReplicas) ?? 0 },
    { name: 'Available', type: 'integer', cell: (o) => num(obj(o.status).availableReplicas) ?? 0 },
    created,
    ...templateColumns,
  ],
  replicasets: [
    name,
    { name: 'Desired', type: 'integer', cell: (o) => num(obj(o.spec).replicas) ?? 0 },
    { name: 'Current', type: 'integer', cell: (o) => num(obj(o.status).replicas) ?? 0 },
    { name: 'Ready', type: 'integer', cell: (o) => num(obj(o.status).readyReplicas) ?? 0 },
    created,
    ...templateColumns,
  ],
  services: [
    name,
    { name: 'Type', type: 'string', cell: (o) => str(obj(o.spec).type) ?? 'ClusterIP' },
    { name: 'Cluster-IP', type: 'string', cell: (o) => str(obj(o.spec).clusterIP) ?? '<none>' },
    { name: 'External-IP', type: 'string', cell: () => '<none>' },
    {
      name: 'Port(s)',
      type: 'string',
      cell: (o) => ((obj(o.spec).ports as JsonObject[] | undefined) ?? []).map((p) => `${num(p.port) ?? ''}/${str(p.protocol) ?? 'TCP'}`).join(',') || '<none>',
    },
    created,
    { name: 'Selector', type: 'string', priority: 1, cell: selector },
  ],
  ingresses: [
    name,
    { name: 'Class', type: 'string', cell: (o) => str(obj(o.spec).ingressClassName) ?? '<none>' },
    { name: 'Hosts', type: 'string', cell: (o) => ((obj(o.spec).rules as JsonObject[] | undefined) ?? []).map((r) => str(r.host) ?? '*').join(',') || '*' },
    { name: 'Address', type: 'string', cell: () => '' },
    { name: 'Ports', type: 'string', cell: (o) => (((obj(o.spec).tls as Json[] | undefined) ?? []).length ? '80, 443' : '80') },
    created,
  ],
};

export function toTable(type: ResourceType, objects: KubeObject[], resourceVersion: string, includeObject: string | null): object {
  const columns = COLUMNS[type.resource] ?? [name, created];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: '', priority: c.priority ?? 0 })),
    rows: objects.map((o) => ({
      cells: columns.map((c) => c.cell(o)),
      object: includeObject === 'Object' ? o : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: meta(o) },
    })),
  };
}
