import { GlassError } from '../errors.js';

/**
 * Image references, with Docker's grammar (github.com/distribution/reference):
 *
 *   [registry[:port]/]path[/path...][:tag][@sha256:digest]
 *
 * Path components are lowercase letters and digits, joined by ".", "_", "__"
 * or dashes; a tag is up to 128 word characters, dots and dashes, not starting
 * with either. "busybox" is short for "docker.io/library/busybox:latest":
 * Docker Hub is the default registry and "library" its namespace for official
 * images. glass stores and prints the short ("familiar") form, like docker.
 */
export interface ImageReference {
  /** Familiar repository name: "busybox", "me/app", "localhost:5000/app". */
  repository: string;
  /** Absent when the reference names no tag (callers default to "latest"). */
  tag?: string;
  /** "sha256:<hex>" when the reference pins a manifest digest. */
  digest?: string;
}

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);

const DEFAULT_DOMAIN = 'docker.io';
const OFFICIAL_NAMESPACE = 'library';
export const DEFAULT_TAG = 'latest';

/** A full image ID ("sha256:" optional) — never a repository name. */
export const FULL_ID = /^(?:sha256:)?([0-9a-f]{64})$/;
/** What a (possibly abbreviated) image ID looks like. */
export const ID_PREFIX = /^(?:sha256:)?([0-9a-f]{1,64})$/;

function invalid(ref: string, detail?: string): GlassError {
  const hint = detail ?? `"${ref}" is not a valid image name (lowercase letters, digits and . _ - separators, then an optional :tag)`;
  return new GlassError('INVALID_ARGUMENT', `invalid reference format: ${hint}`);
}

/** Parse and normalise a reference; throws INVALID_ARGUMENT like docker does. */
export function parseReference(ref: string): ImageReference {
  if (FULL_ID.test(ref) && !ref.startsWith('sha256:')) {
    throw invalid(ref, `invalid repository name (${ref}), cannot specify 64-byte hexadecimal strings`);
  }
  const m = REFERENCE.exec(ref);
  if (!m) {
    const lowered = ref.toLowerCase();
    if (lowered !== ref && REFERENCE.test(lowered)) {
      const name = ref.split('@')[0]!.replace(new RegExp(`:${TAG}$`), '');
      throw invalid(ref, `repository name (${name}) must be lowercase`);
    }
    throw invalid(ref);
  }
  const name = m[1]!;
  // "Foo/bar" matches the grammar with "Foo" as a registry host, but a first
  // component without "." or ":" (other than localhost) is a path, not a host.
  if (!hasDomain(name) && name !== name.toLowerCase()) {
    throw invalid(ref, `repository name (${name}) must be lowercase`);
  }
  if (name.length > 255) throw invalid(ref, 'repository name must not be more than 255 characters');
  return { repository: familiarName(name), tag: m[2], digest: m[3] };
}

/** A reference that names a tag to create (for `tag` and `import`): no digest. */
export function parseTagTarget(ref: string): string {
  const r = parseReference(ref);
  if (r.digest) throw invalid(ref, `${ref}: a tag cannot be a digest; use name[:tag]`);
  return `${r.repository}:${r.tag ?? DEFAULT_TAG}`;
}

/** "docker.io/library/busybox" -> "busybox", "docker.io/me/app" -> "me/app". */
function familiarName(name: string): string {
  if (!hasDomain(name)) return name;
  const slash = name.indexOf('/');
  const first = name.slice(0, slash);
  if (first !== DEFAULT_DOMAIN && first !== 'index.docker.io') return name;
  const rest = name.slice(slash + 1);
  return rest.startsWith(`${OFFICIAL_NAMESPACE}/`) && rest.split('/').length === 2 ? rest.slice(OFFICIAL_NAMESPACE.length + 1) : rest;
}

/** "busybox" -> "docker.io/library/busybox" (how containerd and `docker save` name images). */
export function fullyQualifiedName(repository: string): string {
  if (hasDomain(repository)) return repository;
  return repository.includes('/') ? `${DEFAULT_DOMAIN}/${repository}` : `${DEFAULT_DOMAIN}/${OFFICIAL_NAMESPACE}/${repository}`;
}

/** Whether the first component of a name is a registry host. */
function hasDomain(name: string): boolean {
  const slash = name.indexOf('/');
  if (slash < 0) return false;
  const first = name.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost';
}

/** "busybox:latest" -> { repository: "busybox", tag: "latest" } (the tag is after the last colon). */
export function splitTag(repoTag: string): { repository: string; tag: string } {
  const at = repoTag.lastIndexOf(':');
  return { repository: repoTag.slice(0, at), tag: repoTag.slice(at + 1) };
}

/** The familiar "name:tag" a reference means, defaulting the tag to latest. */
export function repoTagOf(r: ImageReference): string {
  return `${r.repository}:${r.tag ?? DEFAULT_TAG}`;
}

export { shortId } from '../ids.js';
