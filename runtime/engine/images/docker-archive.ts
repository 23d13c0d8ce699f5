import { sha256 } from './oci.js';

/**
 * The docker-archive format: what `docker save` writes and `docker load`,
 * `podman load` and `skopeo copy docker-archive:` read. It predates the OCI
 * image layout; one tar holds
 *
 *   manifest.json          the entry point: per image, its config file, its
 *                          names and its layer tars, bottom first
 *                          [{"Config":"<id>.json","RepoTags":["busybox:latest"],
 *                            "Layers":["<v1 id>/layer.tar", ...]}]
 *   repositories           the names once more, in the format of Docker < 1.10:
 *                          {"busybox":{"latest":"<v1 id of the top layer>"}}
 *   <id>.json              the image config (its sha256 is the image ID)
 *   <v1 id>/layer.tar      one layer, an UNCOMPRESSED tar (its sha256 is the
 *                          layer's diff_id in the config)
 *   <v1 id>/VERSION        "1.0"
 *   <v1 id>/json           the layer as a "v1 image" of Docker < 1.10, when
 *                          every layer was an image with a parent
 *
 * The v1 IDs exist only for old clients; Docker derives them from the chain
 * of layers, so the same stack of layers gets the same directory names.
 */

export interface DockerManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

/** Read manifest.json: an array of entries with a Config string and Layers strings, or a one-line reason why not. */
export function parseDockerManifest(bytes: Buffer): DockerManifestEntry[] | string {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    return `manifest.json is not valid JSON (${(e as Error).message})`;
  }
  if (!Array.isArray(doc) || doc.length === 0) return 'manifest.json lists no images';
  for (const e of doc as Record<string, unknown>[]) {
    if (typeof e !== 'object' || e === null || typeof e.Config !== 'string') return 'manifest.json has an entry without "Config"';
    if (!Array.isArray(e.Layers) || !e.Layers.every((l) => typeof l === 'string')) return 'manifest.json has an entry whose "Layers" is not a list of paths';
    if (e.RepoTags != null && (!Array.isArray(e.RepoTags) || !e.RepoTags.every((t) => typeof t === 'string'))) {
      return 'manifest.json has an entry whose "RepoTags" is not a list of names';
    }
  }
  return doc as DockerManifestEntry[];
}

/**
 * Layer i's chain ID: the identity of layers 0..i stacked in that order.
 * chain(0) = diff_id(0); chain(i) = sha256(chain(i-1) + " " + diff_id(i)).
 */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(out.length === 0 ? d : sha256(`${out.at(-1)} ${d}`));
  return out;
}

/**
 * Docker's (20.10) empty container config, in its Go struct order: the
 * "container_config" every v1 layer json carries.
 */
const EMPTY_CONTAINER_CONFIG = {
  Hostname: '',
  Domainname: '',
  User: '',
  AttachStdin: false,
  AttachStdout: false,
  AttachStderr: false,
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: null,
  Cmd: null,
  Image: '',
  Volumes: null,
  WorkingDir: '',
  Entrypoint: null,
  OnBuild: null,
  Labels: null,
};

const EPOCH = '1970-01-01T00:00:00Z';

export interface V1Layer {
  /** 64 hex digits: the directory name. */
  id: string;
  /** Contents of <id>/json. */
  json: Buffer;
}

/** JSON with sorted keys (Go marshals a map that way; Docker hashes a map). */
function sortedJson(value: Record<string, unknown>): string {
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) sorted[k] = value[k];
  return JSON.stringify(sorted);
}

/**
 * The v1 layer IDs and json files for an image, computed as Docker does:
 * each layer's v1 ID is the sha256 of its v1 json (without id) plus its
 * chain ID and its parent's v1 ID, so IDs chain like the layers. Layers
 * below the top carry an empty v1 config dated 1970 (byte-identical IDs to
 * Docker's); the top one carries the image's own config.
 */
export function v1Layers(config: Record<string, unknown>, diffIds: string[]): V1Layer[] {
  const chains = chainIds(diffIds);
  const out: V1Layer[] = [];
  let parent = '';
  diffIds.forEach((_, i) => {
    const top = i === diffIds.length - 1;
    const body: Record<string, unknown> = top ? topV1(config) : { created: EPOCH, container_config: EMPTY_CONTAINER_CONFIG };
    const hashed: Record<string, unknown> = { ...body, layer_id: chains[i] };
    if (parent) hashed.parent = parent;
    const id = sha256(sortedJson(hashed));
    const hex = id.slice('sha256:'.length);
    const json: Record<string, unknown> = { id: hex };
    if (parent) json.parent = parent.slice('sha256:'.length);
    Object.assign(json, body, { os: typeof config.os === 'string' ? config.os : 'linux' });
    out.push({ id: hex, json: Buffer.from(JSON.stringify(json)) });
    parent = id;
  });
  return out;
}

/** The top layer's v1 json: the image's own fields, in Docker's V1Image order. */
function topV1(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['comment', 'created', 'container']) if (config[key] !== undefined) out[key] = config[key];
  out.created ??= EPOCH;
  out.container_config = config.container_config ?? EMPTY_CONTAINER_CONFIG;
  for (const key of ['docker_version', 'author', 'config', 'architecture', 'variant']) if (config[key] !== undefined) out[key] = config[key];
  return out;
}
