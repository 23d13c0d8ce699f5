import { parseReference } from './reference.js';

/**
 * `docker images PATTERN`: the pattern is matched, shell-glob style (`*`, `?`
 * within one path component), against "name:tag" and against the bare name,
 * so `busybox` lists every busybox tag and `busybox:1.*` some of them. A
 * plain reference may be written in full: docker.io/library/busybox is busybox.
 */
export function referenceMatcher(pattern: string): (repoTag: string) => boolean {
  if (!/[*?]/.test(pattern)) {
    try {
      const r = parseReference(pattern);
      if (!r.digest) pattern = r.repository + (r.tag ? `:${r.tag}` : '');
    } catch { /* not a valid name: it matches nothing */ }
  }
  const re = new RegExp(
    '^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$',
  );
  return (repoTag) => re.test(repoTag) || re.test(repoTag.slice(0, repoTag.lastIndexOf(':')));
}
