import { z } from 'zod';

/**
 * Inputs that hold URLs, hostnames and credentials, checked before anything uses them. Messages
 * never need to print a credential: the entry masks user-info and token-like query values of every
 * input before validation, so "got …" shows them as ***.
 */

const HEADER_SAFE_TOKEN = /^[\x21-\x7e]+$/;
const HEADER_SAFE_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const HOSTNAME_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function fail(ctx: z.core.$RefinementCtx, message: string): typeof z.NEVER {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

/** Why `text` is not a URL with one of `schemes` (`['https:', 'http:']`), or undefined when it is. */
export function urlProblem(text: string, schemes: readonly string[], example: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `must be a URL such as ${example}, got "${text}"`;
  }
  if (!schemes.includes(url.protocol)) return `must start with ${schemes.map((s) => `${s}//`).join(' or ')} (such as ${example}), got "${text}"`;
  if (!url.hostname && !url.pathname.startsWith('/')) return `has no host: write it as ${example}`;
  for (const [part, value] of [
    ['user name', url.username],
    ['password', url.password],
  ] as const) {
    try {
      decodeURIComponent(value);
    } catch {
      return `has a malformed percent-escape in its ${part} (a % must be followed by two hex digits; write a literal % as %25)`;
    }
  }
  try {
    decodeURIComponent(url.pathname);
  } catch {
    return 'has a malformed percent-escape in its path (write a literal % as %25)';
  }
  return undefined;
}

/** An optional URL input (a default is declared with the input). */
export function urlInput(schemes: readonly string[], example: string) {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      const text = value?.trim();
      if (!text) return undefined;
      const problem = urlProblem(text, schemes, example);
      return problem ? fail(ctx, problem) : text.replace(/\/+$/, '');
    });
}

export const HTTP_SCHEMES = ['https:', 'http:'] as const;

/** Why a token cannot go into an HTTP header (spaces, line breaks, characters beyond ASCII), or undefined. */
export function tokenProblem(token: string): string | undefined {
  if (HEADER_SAFE_TOKEN.test(token)) return undefined;
  const bad = [...token].findIndex((ch) => !HEADER_SAFE_TOKEN.test(ch));
  return `has a character an HTTP header cannot carry at position ${bad + 1} (tokens are printable ASCII without spaces): copy the token again`;
}

export function headerValueProblem(value: string): string | undefined {
  return HEADER_SAFE_VALUE.test(value)
    ? undefined
    : 'has a header value with a character HTTP cannot carry (a line break, a control character or one beyond Latin-1)';
}

/** A secret token (optional unless `hint` says how to give it). */
export function tokenInput(hint?: string) {
  return z
    .string({ error: () => `is required: ${hint ?? 'pass it as a secret'}` })
    .optional()
    .transform((value, ctx) => {
      const text = value?.trim();
      if (!text) return hint ? fail(ctx, `is required: ${hint}`) : undefined;
      const problem = tokenProblem(text);
      return problem ? fail(ctx, problem) : text;
    });
}

export function isIpv4(text: string): boolean {
  return IPV4.test(text);
}

/** A DNS hostname (RFC 1123): dot-separated labels of letters, digits and '-', at most 253 characters; a trailing dot is allowed. */
export function isHostname(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  return name.length > 0 && name.length <= 253 && name.split('.').every((label) => HOSTNAME_LABEL.test(label)) && !/^[\d.]+$/.test(name);
}
