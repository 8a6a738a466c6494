/**
 * Everything that must never be printed. Each host masks differently (GitHub: `core.setSecret`,
 * the CLI: replacement in its own output), so the registry is passed around, not global.
 */
export interface SecretRegistry {
  add(value: string | undefined): void;
  redact(text: string): string;
}

export function createSecretRegistry(onAdd: (value: string) => void = () => undefined): SecretRegistry {
  const values = new Set<string>();
  return {
    add(value) {
      // a multi-line value (a kubeconfig file) is registered through its credential parts instead
      if (!value || value.length < 3 || values.has(value) || value.includes('\n')) return;
      values.add(value);
      onAdd(value);
      // a secret also leaks in its URL-encoded and base64 forms
      for (const variant of [encodeURIComponent(value), Buffer.from(value).toString('base64')]) {
        if (variant !== value && !values.has(variant)) {
          values.add(variant);
          onAdd(variant);
        }
      }
    },
    redact(text) {
      let out = text;
      const longestFirst = [...values].sort((a, b) => b.length - a.length);
      for (const value of longestFirst) out = out.split(value).join('***');
      // however short, a password in a URL or a token in a query is never printed
      return out.replace(USER_INFO, '//$1:***@').replace(SECRET_QUERY, (match, value: string) => `${match.slice(0, match.length - value.length)}***`);
    },
  };
}

/** Registers the credential parts of a URL (user info, token-like query values) and the URL itself. */
export function addUrlSecrets(secrets: SecretRegistry, rawUrl: string): void {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return;
  }
  if (url.password) {
    secrets.add(url.password);
    secrets.add(decodeURIComponent(url.password));
    secrets.add(rawUrl);
  }
  for (const [key, value] of url.searchParams) {
    if (/token|key|secret|password|sig|auth/i.test(key)) {
      secrets.add(value);
      secrets.add(rawUrl);
    }
  }
}

/** A URL as it may be printed: no password, no secret query values. */
export function displayUrl(rawUrl: string): string {
  try {
    const url = new URL(rawUrl);
    if (url.password) url.password = '***';
    for (const key of [...url.searchParams.keys()]) {
      if (/token|key|secret|password|sig|auth/i.test(key)) url.searchParams.set(key, '***');
    }
    return url.toString();
  } catch {
    return '<unparsable URL>';
  }
}

const USER_INFO = /\/\/([^/\s:@"']*):([^/\s@"']+)@/g;
const SECRET_QUERY = /[?&](?:[a-z0-9_.-]*(?:token|key|secret|password|passwd|sig|signature|auth|credential)[a-z0-9_.-]*)=([^&#\s"'`<>\\)\]|]+)/gi;

/**
 * Credentials in any text that may hold URLs, well-formed or not (`htp://admin:PW@…`,
 * `https//host?token=…`): the password of user-info, and token-like query values. The entry masks
 * these in every input before validation, so no error message can echo them.
 */
export function credentialsInText(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(USER_INFO)) if (match[2]) found.push(match[2]);
  for (const match of text.matchAll(SECRET_QUERY)) if (match[1]) found.push(match[1]);
  const decoded = found.flatMap((value) => {
    try {
      const plain = decodeURIComponent(value);
      return plain === value ? [] : [plain];
    } catch {
      return [];
    }
  });
  return [...found, ...decoded];
}
