import { lowerdirsTopFirst, type HealthConfig, type ImageRecord, type ImageRunConfig } from './types.js';
import { goMap } from '../go-json.js';

/** `docker image inspect`'s shape, filled from the OCI config. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  /** The container (or build step's container) the image was committed from: Docker's "Container". */
  Container: string;
  /** That container's config: for a build step, its Cmd is the step's cache key ("/bin/sh -c #(nop)  ENV A=1"). */
  ContainerConfig: InspectRunConfig;
  DockerVersion: string;
  Author: string;
  Config: InspectRunConfig;
  Architecture: string;
  Os: string;
  Size: number;
  GraphDriver: { Name: string; Data: Record<string, string> };
  RootFS: { Type: 'layers'; Layers: string[] };
  Metadata: { LastTagTime: string };
}

/** Docker's container.Config as inspect prints it, in its field order (omitempty fields only when set). */
export interface InspectRunConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, object>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[] | null;
  Cmd: string[] | null;
  Healthcheck?: HealthConfig;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string> | null;
  StopSignal?: string;
  Shell?: string[];
}

function inspectRunConfig(c: ImageRunConfig, image = ''): InspectRunConfig {
  return {
    Hostname: '',
    Domainname: '',
    User: c.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(c.ExposedPorts && Object.keys(c.ExposedPorts).length ? { ExposedPorts: goMap(c.ExposedPorts) } : {}),
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: c.Env ?? null,
    Cmd: c.Cmd ?? null,
    ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
    Image: image,
    Volumes: c.Volumes && Object.keys(c.Volumes).length ? goMap(c.Volumes) : null,
    WorkingDir: c.WorkingDir ?? '',
    Entrypoint: c.Entrypoint ?? null,
    OnBuild: c.OnBuild?.length ? c.OnBuild : null,
    Labels: goMap(c.Labels ?? null),
    ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
    ...(c.Shell?.length ? { Shell: c.Shell } : {}),
  };
}

export function toInspect(image: ImageRecord): ImageInspect {
  const { config } = image;
  const c = config.config ?? {};
  const lastComment = [...(config.history ?? [])].reverse().find((h) => h.comment)?.comment ?? '';
  return {
    Id: image.id,
    RepoTags: image.repoTags,
    RepoDigests: image.repoDigests ?? [],
    Parent: config.parent ?? '',
    Comment: config.comment ?? lastComment,
    Created: image.created,
    Container: config.container ?? '',
    // Docker's builder records the parent as the step container's Image.
    ContainerConfig: inspectRunConfig(config.container_config ?? {}, config.container_config ? (config.parent ?? '') : ''),
    DockerVersion: '',
    Author: config.author ?? '',
    Config: inspectRunConfig(c, config.container_config ? (config.parent ?? '') : ''),
    Architecture: config.architecture,
    Os: config.os,
    Size: image.size,
    GraphDriver: {
      Name: 'overlay',
      // overlayfs lists lower directories top layer first: the reverse of the image's order.
      Data: { LowerDir: lowerdirsTopFirst(image.layerDirs).join(':') },
    },
    RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}
