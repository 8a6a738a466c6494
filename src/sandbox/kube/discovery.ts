import { createHash } from 'node:crypto';
import { groupVersions, RESOURCE_TYPES } from './resources.js';

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-keiko-sandbox',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

const WRITE_PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'].map((name) => ({
  name,
  in: 'query',
  schema: { type: name === 'force' ? 'boolean' : 'string' },
  uniqueItems: true,
}));

/** /openapi/v3/<gv>: enough for kubectl to see that PATCH supports `fieldValidation` (server-side validation). */
export function openApiDocument(group: string, version: string): object {
  const paths: Record<string, object> = {};
  for (const type of RESOURCE_TYPES.filter((t) => t.group === group && t.version === version)) {
    const gvk = { group: type.group, version: type.version, kind: type.kind };
    const base = `/${gvPath(group, version)}${type.namespaced ? '/namespaces/{namespace}' : ''}/${type.resource}`;
    const operation = (action: string): object => ({
      operationId: `${action}${type.kind}`,
      parameters: WRITE_PARAMETERS,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      responses: { '200': { description: 'OK' } },
    });
    paths[base] = { post: operation('post'), get: operation('list') };
    paths[`${base}/{name}`] = { get: operation('get'), put: operation('put'), patch: operation('patch'), delete: operation('delete') };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: VERSION_INFO.gitVersion }, paths, components: { schemas: {} } };
}

export function openApiRoot(): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of groupVersions()) {
    const hash = createHash('sha256')
      .update(JSON.stringify(openApiDocument(group, version)))
      .digest('hex')
      .slice(0, 16)
      .toUpperCase();
    paths[gvPath(group, version)] = { serverRelativeURL: `/openapi/v3/${gvPath(group, version)}?hash=${hash}` };
  }
  return { paths };
}
