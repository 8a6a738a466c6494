import type { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigurationError } from '../core/errors.js';
import { input } from '../core/input-table.js';
import { dnsLabelInput, dnsLabelProblem, optionalString, requiredString } from '../core/inputs.js';
import { type Logger, prefixedLogger } from '../core/logger.js';
import type { SecretRegistry } from '../core/secrets.js';
import { tokenProblem } from '../core/url-inputs.js';
import { KubeClient, type KubeClientOptions } from './client.js';

function looksLikeKubeconfig(value: unknown): boolean {
  return typeof value === 'object' && value !== null && ('clusters' in value || 'contexts' in value);
}

/** Accepts the kubeconfig file's content or base64 of it; returns the YAML text. */
export function decodeKubeconfig(text: string): string | undefined {
  const trimmed = text.trim();
  try {
    if (looksLikeKubeconfig(parseYaml(trimmed, { logLevel: 'error' }))) return trimmed;
  } catch {
    // not YAML: try base64 below
  }
  if (!/^[A-Za-z0-9+/=\s_-]+$/.test(trimmed)) return undefined;
  const decoded = Buffer.from(trimmed, 'base64').toString('utf8');
  try {
    return looksLikeKubeconfig(parseYaml(decoded, { logLevel: 'error' })) ? decoded : undefined;
  } catch {
    return undefined;
  }
}

export function kubeconfigInput() {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (!value?.trim()) return undefined;
      const decoded = decodeKubeconfig(value);
      if (decoded === undefined) {
        ctx.addIssue({
          code: 'custom',
          message:
            'is neither kubeconfig YAML nor base64 of it: pass the file content (e.g. a secret holding `cat ~/.kube/config`) or `base64 -w0 ~/.kube/config`',
        });
        return z.NEVER;
      }
      return decoded;
    });
}

/** The inputs every Kubernetes action shares, declared once. */
export const KUBE_CONNECTION_INPUTS = {
  environment: input(optionalString(), {
    description: 'Environment such as `production`; the namespace is `namespace-template` with `{environment}` replaced.',
  }),
  'namespace-template': input(requiredString('write a namespace pattern such as keiko-{environment}'), {
    description: 'Namespace pattern used with `environment`.',
    default: 'keiko-{environment}',
  }),
  namespace: input(dnsLabelInput(), { description: 'Explicit namespace; wins over `environment`.' }),
  kubeconfig: input(kubeconfigInput(), {
    description: 'Kubeconfig YAML or base64 of it. Empty: KUBECONFIG, ~/.kube/config, or the in-cluster service account.',
    secret: true,
  }),
  context: input(optionalString(), { description: 'Kubeconfig context to use (default: its current-context).' }),
};

export interface KubeTargetInputs {
  environment?: string | undefined;
  'namespace-template': string;
  namespace?: string | undefined;
}

/** `namespace` wins; else the template with `{environment}` replaced. Undefined when neither is set. */
export function resolveNamespace(inputs: KubeTargetInputs): string | undefined {
  if (inputs.namespace) return inputs.namespace;
  if (!inputs.environment) return undefined;
  return inputs['namespace-template'].replaceAll('{environment}', inputs.environment);
}

export function namespaceProblem(inputs: KubeTargetInputs): { input: string; message: string } | undefined {
  if (!inputs.namespace && !inputs.environment) {
    return {
      input: 'namespace',
      message: 'is required: set `namespace`, or `environment` (the namespace is then `namespace-template` with {environment} replaced)',
    };
  }
  const namespace = resolveNamespace(inputs) ?? '';
  const problem = dnsLabelProblem(namespace);
  if (problem) return { input: inputs.namespace ? 'namespace' : 'environment', message: `gives namespace ${problem}` };
  return undefined;
}

function registerCredentials(kc: KubeConfig, secrets: SecretRegistry): void {
  for (const user of kc.getUsers()) {
    secrets.add(user.token);
    secrets.add(user.password);
    secrets.add(user.keyData);
    secrets.add(user.certData);
  }
}

/**
 * Short-lived credentials (an exec plugin such as kubelogin, `aws eks get-token` or gke-gcloud-auth-plugin, or
 * OIDC) exist only once client-node asks for them: every token it puts on a request is masked before the request
 * is sent, so a token the plugin returns can never reach a log line, an output or a summary.
 */
function maskIssuedTokens(kc: KubeConfig, secrets: SecretRegistry): void {
  const apply = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (context) => {
    await apply(context);
    const authorization = context.getHeaders().Authorization ?? context.getHeaders().authorization;
    secrets.add(authorization?.replace(/^Bearer\s+/i, ''));
  };
}

/**
 * The kubeconfig from the input, else KUBECONFIG / ~/.kube/config / in-cluster. Credentials are
 * registered as secrets before the config is used for anything.
 */
export async function loadKubeConfig(
  inputs: { kubeconfig?: string | undefined; context?: string | undefined },
  secrets: SecretRegistry,
  contextInput = 'context',
): Promise<KubeConfig> {
  // loaded on first use: the Kubernetes client is most of the bundle, and verify or database runs need not pay for it;
  // the KubeConfig module alone, not the package's index (which also loads WebSockets, tar and the informer cache)
  const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
  const kc = new KubeConfig();
  try {
    if (inputs.kubeconfig) kc.loadFromString(inputs.kubeconfig);
    else kc.loadFromDefault();
  } catch (error) {
    throw new ConfigurationError(`could not be loaded (${error instanceof Error ? error.message : String(error)})`, 'kubeconfig');
  }
  registerCredentials(kc, secrets);
  maskIssuedTokens(kc, secrets);
  for (const user of kc.getUsers()) {
    const problem = user.token ? tokenProblem(user.token) : undefined;
    if (problem) throw new ConfigurationError(`has a token for user "${user.name}" that ${problem}`, 'kubeconfig');
  }
  if (inputs.context) {
    if (!kc.getContexts().some((c) => c.name === inputs.context)) {
      const known =
        kc
          .getContexts()
          .map((c) => c.name)
          .join(', ') || 'none';
      throw new ConfigurationError(`names "${inputs.context}", which is not a context of the kubeconfig (it has: ${known})`, contextInput);
    }
    kc.setCurrentContext(inputs.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new ConfigurationError('has no current cluster: set `context`, or a kubeconfig whose current-context names a cluster', 'kubeconfig');
  }
  if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
    throw new ConfigurationError(
      `points at plain-HTTP server ${cluster.server}: use https, or set insecure-skip-tls-verify: true on that cluster (only for local sandboxes)`,
      'kubeconfig',
    );
  }
  return kc;
}

/** The run's Kubernetes client: the kubeconfig of the inputs, bound to the run's clock. */
export async function connectKube(
  inputs: { kubeconfig?: string | undefined; context?: string | undefined },
  context: { secrets: SecretRegistry; log: Logger; clock: { signal: AbortSignal } },
  options: Omit<KubeClientOptions, 'signal'> = {},
): Promise<KubeClient> {
  return new KubeClient(await loadKubeConfig(inputs, context.secrets), context.log, { ...options, signal: context.clock.signal });
}

/** One cluster of a run that rolls back several (`contexts`): its kubeconfig context and its client. */
export interface ClusterClient {
  context: string;
  kube: KubeClient;
}

/**
 * A client per kubeconfig context, every context checked before any is used: a context the kubeconfig
 * does not have fails the run by the `contexts` input, with nothing written in any cluster.
 */
export async function connectClusters(
  inputs: { kubeconfig?: string | undefined },
  contexts: string[],
  context: { secrets: SecretRegistry; log: Logger; clock: { signal: AbortSignal } },
): Promise<ClusterClient[]> {
  const configs = [];
  for (const name of contexts) configs.push(await loadKubeConfig({ ...inputs, context: name }, context.secrets, 'contexts'));
  return configs.map((config, index) => ({
    context: contexts[index] ?? '',
    kube: new KubeClient(config, prefixedLogger(context.log, `[${contexts[index]}] `), { signal: context.clock.signal }),
  }));
}

/** Kubeconfig context names, separated by commas or newlines (a name may hold `/`, `:` or `@`, as EKS and GKE names do). */
export function contextListInput() {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      const names = [
        ...new Set(
          (value ?? '')
            .split(/[,\n]/)
            .map((n) => n.trim())
            .filter(Boolean),
        ),
      ];
      const bad = names.find((n) => n.length > 253 || /\s/.test(n));
      if (bad !== undefined) {
        ctx.addIssue({ code: 'custom', message: `has "${bad.slice(0, 80)}", which is not a kubeconfig context name (no spaces, at most 253 characters)` });
        return z.NEVER;
      }
      if (names.length > 20) {
        ctx.addIssue({ code: 'custom', message: `names ${names.length} contexts; at most 20 in one run: split the clusters across a workflow matrix` });
        return z.NEVER;
      }
      return names;
    });
}
