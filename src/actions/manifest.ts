/** The metadata of an action: the single source for its action.yml and the CLI's --help. */
export interface InputSpec {
  description: string;
  required?: boolean;
  default?: string;
  secret?: boolean;
}

export interface ActionManifest {
  name: string;
  command: string;
  description: string;
  icon: string;
  color: string;
  inputs: Record<string, InputSpec>;
  outputs: Record<string, string>;
  post?: boolean;
}

export function secretInputsOf(manifest: ActionManifest): string[] {
  return Object.entries(manifest.inputs)
    .filter(([, spec]) => spec.secret)
    .map(([name]) => name);
}

/** Kubernetes connection inputs, shared by every action that talks to a cluster. */
export const KUBE_CONNECTION_INPUTS: Record<string, InputSpec> = {
  environment: {
    description: 'Environment such as `production`; the namespace is `namespace-template` with `{environment}` replaced.',
  },
  'namespace-template': { description: 'Namespace pattern used with `environment`.', default: 'keiko-{environment}' },
  namespace: { description: 'Explicit namespace; wins over `environment`.' },
  kubeconfig: {
    description: 'Kubeconfig YAML or base64 of it. Empty: KUBECONFIG, ~/.kube/config, or the in-cluster service account.',
    secret: true,
  },
  context: { description: 'Kubeconfig context to use (default: its current-context).' },
};
