/**
 * The explain trace for reading: long state paths read as <root>, 64-hex IDs
 * as their first 12 characters. Used by glass learn's "under the hood" panel
 * and the notebooks' step tables.
 */
export function shorten(text: string, root: string): string {
  let s = text;
  if (root && root !== '/') s = s.split(root).join('<root>');
  return s.replace(/\b([0-9a-f]{12})[0-9a-f]{52}\b/g, '$1…');
}
