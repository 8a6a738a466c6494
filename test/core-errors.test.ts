import { describe, expect, it } from 'vitest';
import { failureLine } from '../src/core/errors.js';
import { OutsideFailure, transportFailure } from '../src/core/outside.js';
import { describeKubeCall, kubeSystem } from '../src/kube/client.js';

const kube = kubeSystem('https://k8s.keiko.internal:6443');
const call = describeKubeCall('PATCH', '/apis/apps/v1/namespaces/keiko-production/deployments/chat-service');

describe('one sentence per failure: the outside world named, our own bugs called ours', () => {
  it('a bug in our code (a thrown TypeError) is the only "Internal failure"', () => {
    expect(failureLine(new TypeError("Cannot read properties of undefined (reading 'spec')"))).toBe(
      "Internal failure (please report it with the debug log): Cannot read properties of undefined (reading 'spec')",
    );
  });

  it('names the Kubernetes verb, resource and namespace as RBAC does, and the Role to bind on 403', () => {
    expect(call).toBe('patch deployments chat-service in namespace keiko-production');
    expect(failureLine(new OutsideFailure(kube, call, 'http', 403, '', { statusText: 'Forbidden' }))).toBe(
      "Kubernetes API denied patch deployments chat-service in namespace keiko-production (403 Forbidden): bind the Role in deploy/rbac/keiko-rollback-role.yaml to the kubeconfig's user in that namespace (check with kubectl auth can-i).",
    );
  });

  it('an unreachable server, a TLS failure, a hung call, throttling, a 5xx and an empty 4xx each say what to check', () => {
    const refused = transportFailure(
      Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }),
      kube,
      call,
    );
    expect(failureLine(refused)).toBe(
      "Kubernetes API at https://k8s.keiko.internal:6443 is unreachable for patch deployments chat-service in namespace keiko-production (ECONNREFUSED): check the kubeconfig's cluster server and that this machine can reach it.",
    );
    const tls = transportFailure(
      Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('self-signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }) }),
      kube,
      call,
    );
    expect(failureLine(tls)).toContain(
      'failed the TLS handshake for patch deployments chat-service in namespace keiko-production (DEPTH_ZERO_SELF_SIGNED_CERT): check the certificate authority',
    );
    const hung = transportFailure(new DOMException('timed out', 'TimeoutError'), kube, call, 30_000);
    expect(failureLine(hung)).toBe(
      'Kubernetes API at https://k8s.keiko.internal:6443 did not answer patch deployments chat-service in namespace keiko-production within 30s: check that it is up and not overloaded.',
    );
    const throttled = new OutsideFailure(kube, call, 'http', 429, 'Too many requests', { statusText: 'TooManyRequests' });
    throttled.retried = { attempts: 9, ms: 58_000 };
    expect(failureLine(throttled)).toBe(
      'Kubernetes API kept throttling patch deployments chat-service in namespace keiko-production (429 Too Many Requests) (9 attempts over 58s): wait for its rate limit to reset, then re-run.',
    );
    expect(failureLine(new OutsideFailure(kube, call, 'http', 503, 'etcd leader changed', { statusText: 'ServiceUnavailable' }))).toContain(
      'failed patch deployments chat-service in namespace keiko-production with 503 ServiceUnavailable: etcd leader changed',
    );
    expect(failureLine(new OutsideFailure(kube, call, 'http', 431, '', { statusText: 'Request Header Fields Too Large' }))).toBe(
      "Kubernetes API answered 431 Request Header Fields Too Large to patch deployments chat-service in namespace keiko-production with no explanation: check the request's size and the server's limits (the kubeconfig's cluster server).",
    );
  });
});
