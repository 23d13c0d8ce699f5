/** stringid.TruncateID: drop an "algorithm:" prefix, keep 12 characters — how IDs are shown. */
export function shortId(id: string): string {
  const colon = id.indexOf(':');
  return (colon >= 0 ? id.slice(colon + 1) : id).slice(0, 12);
}
