/**
 * The runbook's backup Ingress (infra/kubernetes/emergency/backup-ingress.yaml): every path to gateway-bff:8080.
 * `metadata` is extra metadata YAML, indented two spaces (namespace, labels …); the drill and the tests share it.
 */
export function backupIngressYaml(options: { host: string; name?: string; metadata?: string; kind?: string; apiVersion?: string }): string {
  return `apiVersion: ${options.apiVersion ?? 'networking.k8s.io/v1'}
kind: ${options.kind ?? 'Ingress'}
metadata:
  name: ${options.name ?? 'backup-ingress'}
${options.metadata ?? ''}spec:
  rules:
    - host: ${options.host}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: gateway-bff
                port:
                  number: 8080
`;
}
