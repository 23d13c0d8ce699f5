/**
 * The WWW-Authenticate header (RFC 7235): how a registry says "who are you?".
 * A registry that wants credentials answers 401 with one or more challenges:
 *
 *   WWW-Authenticate: Bearer realm="https://auth.docker.io/token",
 *                     service="registry.docker.io",scope="repository:library/alpine:pull"
 *   WWW-Authenticate: Basic realm="Registry Realm"
 *
 * Bearer (Docker Hub, ghcr.io, a registry with token auth): fetch a short-lived
 * token from `realm`, naming the `service` and the `scope` (which repository,
 * which actions), then repeat the request with "Authorization: Bearer <token>".
 * Basic (a registry with htpasswd): send "Authorization: Basic base64(user:pass)"
 * on every request.
 */
export interface Challenge {
  /** Lowercased scheme: "bearer", "basic"... */
  scheme: string;
  /** Parameters, names lowercased: realm, service, scope, error... */
  params: Record<string, string>;
}

/**
 * Parse a WWW-Authenticate value into its challenges. Several may share one
 * header, comma-separated; parameter values may be tokens or quoted strings
 * (with backslash escapes), and quoted values may themselves hold commas
 * (a scope with several actions: "repository:x:pull,push").
 */
export function parseChallenges(header: string | null | undefined): Challenge[] {
  const out: Challenge[] = [];
  if (!header) return out;
  const s = header;
  let i = 0;
  const skipWs = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const token = () => {
    const m = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/.exec(s.slice(i));
    if (!m) return '';
    i += m[0].length;
    return m[0];
  };
  let current: Challenge | undefined;
  while (i < s.length) {
    skipWs();
    if (s[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    const name = token();
    if (!name) {
      i++; // a stray character: skip it rather than loop
      continue;
    }
    skipWs();
    if (s[i] === '=' && current && s[i + 1] !== '=') {
      // name=value: a parameter of the current challenge
      i++;
      skipWs();
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i++];
        }
        i++; // closing quote
      } else {
        // A token by the RFC; read leniently up to the next comma or space (some servers leave URLs unquoted).
        const m = /^[^,\s]*/.exec(s.slice(i))!;
        value = m[0];
        i += value.length;
      }
      current.params[name.toLowerCase()] = value;
      continue;
    }
    // A new challenge: "Scheme" followed by parameters (or a token68, which registries do not use).
    i = start + name.length;
    current = { scheme: name.toLowerCase(), params: {} };
    out.push(current);
    skipWs();
    const token68 = /^[A-Za-z0-9._~+/-]+=*(?=\s*(,|$))/.exec(s.slice(i));
    if (token68 && !s.slice(i).match(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+\s*=[^=]/)) i += token68[0].length;
  }
  return out;
}

/** The challenge glass answers: Bearer if offered (a token is scoped and short-lived), else Basic. */
export function pickChallenge(challenges: Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer' && c.params.realm) ?? challenges.find((c) => c.scheme === 'basic');
}

/** The scope string a token request asks for: "repository:library/alpine:pull" (actions comma-joined). */
export function repositoryScope(path: string, actions: readonly string[]): string {
  return `repository:${path}:${actions.join(',')}`;
}
