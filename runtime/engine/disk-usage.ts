import { directorySize } from '../kernel/disk-usage.js';
import type { ContainerSummary, VolumeInspect } from './api.js';
import type { ImageRecord } from './images/types.js';

/**
 * `docker system df`: what the state root holds, in Docker's shape
 * (GET /system/df: LayersSize, Images, Containers, Volumes, BuildCache).
 * Sizes are bytes of files as Docker counts them (kernel/disk-usage.ts).
 */
export interface DiskUsage {
  /** Every layer directory once, however many images share it. */
  LayersSize: number;
  Images: DiskUsageImage[];
  Containers: DiskUsageContainer[];
  Volumes: DiskUsageVolume[];
  /** glass has no build cache yet: always empty. */
  BuildCache: never[];
}

export interface DiskUsageImage {
  Id: string;
  RepoTags: string[];
  /** Unix seconds. */
  Created: number;
  /** All its layers. */
  Size: number;
  /** Its layers that another image uses too. */
  SharedSize: number;
  /** Containers (in any state) created from it. */
  Containers: number;
}

export interface DiskUsageContainer extends ContainerSummary {
  /** Bytes in its writable layer (the overlay upperdir). */
  SizeRw: number;
  /** How many volumes it mounts. */
  LocalVolumes: number;
}

export interface DiskUsageVolume {
  Name: string;
  Mountpoint: string;
  /** Bytes under its _data; RefCount: containers (in any state) that mount it. */
  UsageData: { Size: number; RefCount: number };
}

export interface DiskUsageSources {
  images: ImageRecord[];
  containers: ContainerSummary[];
  upperdirOf: (id: string) => string;
  volumes: VolumeInspect[];
  volumeUsers: (name: string) => Promise<string[]>;
}

export async function diskUsage(src: DiskUsageSources): Promise<DiskUsage> {
  // Layer sizes once per layer (diff_id): shared layers are stored once.
  const layerSize = new Map<string, number>();
  const layerUsers = new Map<string, number>();
  for (const img of src.images) {
    for (const diffId of new Set(img.config.rootfs.diff_ids)) layerUsers.set(diffId, (layerUsers.get(diffId) ?? 0) + 1);
    for (const [i, diffId] of img.config.rootfs.diff_ids.entries()) {
      if (!layerSize.has(diffId)) layerSize.set(diffId, await directorySize(img.layerDirs[i]!));
    }
  }
  const images: DiskUsageImage[] = src.images.map((img) => {
    const layers = [...new Set(img.config.rootfs.diff_ids)];
    const size = (ids: string[]) => ids.reduce((sum, d) => sum + (layerSize.get(d) ?? 0), 0);
    return {
      Id: img.id,
      RepoTags: img.repoTags,
      Created: Math.floor((Date.parse(img.created) || 0) / 1000),
      Size: size(layers),
      SharedSize: size(layers.filter((d) => (layerUsers.get(d) ?? 0) > 1)),
      Containers: src.containers.filter((c) => c.ImageID === img.id).length,
    };
  });
  const containers: DiskUsageContainer[] = [];
  for (const c of src.containers) {
    containers.push({
      ...c,
      SizeRw: await directorySize(src.upperdirOf(c.Id)),
      LocalVolumes: (c.config.mounts ?? []).filter((m) => m.type === 'volume').length,
    });
  }
  const volumes: DiskUsageVolume[] = [];
  for (const v of src.volumes) {
    volumes.push({ Name: v.Name, Mountpoint: v.Mountpoint, UsageData: { Size: await directorySize(v.Mountpoint), RefCount: (await src.volumeUsers(v.Name)).length } });
  }
  return {
    LayersSize: [...layerSize.values()].reduce((a, b) => a + b, 0),
    Images: images,
    Containers: containers,
    Volumes: volumes,
    BuildCache: [],
  };
}
