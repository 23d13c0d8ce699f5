import { parseTime } from '../containers/status.js';
import type { ImageRecord } from './types.js';

/**
 * `docker history`: an image's history entries, newest first, each with the
 * size of the layer it made (0 for an entry that made none: "empty_layer",
 * such as a CMD). As GET /images/{name}/history returns them.
 */
export interface ImageHistoryItem {
  /** The image this entry made, when glass knows it (the image itself, then its parents); else "<missing>". */
  Id: string;
  /** Unix seconds. */
  Created: number;
  CreatedBy: string;
  /** The name:tag names of that image, or null. */
  Tags: string[] | null;
  /** Bytes of the layer the entry made (Docker: the unpacked layer directory's size). */
  Size: number;
  Comment: string;
}

/**
 * The rows, as moby's ImageHistory makes them: one per history entry, each
 * non-empty entry taking the next diff_id's layer size; then IDs and tags
 * filled in from the top, following each image's parent (set by commit) for
 * as long as there is one. A pulled image knows no parents: only its top row
 * has an ID, the rest read <missing>.
 */
export function imageHistory(image: ImageRecord, layerSizes: number[], imageById: (id: string) => ImageRecord | undefined): ImageHistoryItem[] {
  const rows: ImageHistoryItem[] = [];
  let layer = 0;
  for (const h of image.config.history ?? []) {
    let size = 0;
    if (!h.empty_layer) size = layerSizes[layer++] ?? 0;
    rows.unshift({
      Id: '<missing>',
      Created: h.created ? Math.floor(parseTime(h.created) / 1000) : 0,
      CreatedBy: h.created_by ?? '',
      Tags: null,
      Size: size,
      Comment: h.comment ?? '',
    });
  }
  let current: ImageRecord | undefined = image;
  for (const row of rows) {
    if (!current) break;
    row.Id = current.id;
    row.Tags = current.repoTags.length ? [...current.repoTags] : null;
    const parent: string | undefined = current.config.parent;
    current = parent ? imageById(parent) : undefined;
  }
  return rows;
}
