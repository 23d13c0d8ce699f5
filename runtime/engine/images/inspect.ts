import { lowerdirsTopFirst, type ImageRecord } from './types.js';

/** `docker image inspect`'s shape, filled from the OCI config. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: {
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
    Image: string;
    Volumes: Record<string, object> | null;
    WorkingDir: string;
    Entrypoint: string[] | null;
    OnBuild: null;
    Labels: Record<string, string> | null;
  };
  Architecture: string;
  Os: string;
  Size: number;
  GraphDriver: { Name: string; Data: Record<string, string> };
  RootFS: { Type: 'layers'; Layers: string[] };
  Metadata: { LastTagTime: string };
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
    DockerVersion: '',
    Author: config.author ?? '',
    Config: {
      Hostname: '',
      Domainname: '',
      User: c.User ?? '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ...(c.ExposedPorts ? { ExposedPorts: c.ExposedPorts } : {}),
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: c.Env ?? null,
      Cmd: c.Cmd ?? null,
      Image: '',
      Volumes: c.Volumes && Object.keys(c.Volumes).length ? c.Volumes : null,
      WorkingDir: c.WorkingDir ?? '',
      Entrypoint: c.Entrypoint ?? null,
      OnBuild: null,
      Labels: c.Labels ?? null,
    },
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
