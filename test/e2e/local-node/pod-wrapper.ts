import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { DEFAULT_IMAGE } from '../../../src/shared/contract.js';
import type { MaterialisedVolume } from './pod-volumes.js';
import type { Container } from './pod-types.js';

/** A container the local node cannot run: wrong image, unknown command, bad mount. */
export class ContainerSpecError extends Error {
  constructor(
    readonly reason: 'ErrImagePull' | 'CreateContainerConfigError',
    message: string,
  ) {
    super(message);
    this.name = 'ContainerSpecError';
  }
}

/** The image's ENTRYPOINT (Dockerfile): `node /app/bin/hybridgate.js`, CMD `start`. */
const IMAGE_ENTRYPOINT = '/app/bin/hybridgate.js';

/** `hybridgate/hybridgate`, with any tag and/or digest; nothing else runs here. */
const IMAGE_PATTERN = new RegExp(
  `^${DEFAULT_IMAGE.replace(/[./]/g, (c) => `\\${c}`)}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`,
);

/** Throws ContainerSpecError unless the image is the Hybridgate image (the only one the node can run). */
export function checkImage(image: string): void {
  if (!IMAGE_PATTERN.test(image))
    throw new ContainerSpecError(
      'ErrImagePull',
      `image "${image}" cannot run on the local node: only ${DEFAULT_IMAGE}[:tag][@digest] (the built project) can`,
    );
}

/** The CLI arguments the container's command/args stand for (after `node <cli>`). */
export function cliArgs(container: Container): string[] {
  const args = container.args ?? [];
  const command = container.command;
  if (!command?.length) return container.args ?? ['start'];
  const [first, second] = command;
  if (first === 'hybridgate' || first === IMAGE_ENTRYPOINT || first?.endsWith('/bin/hybridgate.js'))
    return [...command.slice(1), ...args];
  if ((first === 'node' || first === '/usr/local/bin/node') && second === IMAGE_ENTRYPOINT)
    return [...command.slice(2), ...args];
  throw new ContainerSpecError(
    'CreateContainerConfigError',
    `command ${JSON.stringify(command)} is not the image's entrypoint (hybridgate, ${IMAGE_ENTRYPOINT} or node ${IMAGE_ENTRYPOINT})`,
  );
}

/** What the wrapper of one container does before it becomes the runtime process. */
export interface WrapperInput {
  container: Container;
  volumes: MaterialisedVolume[];
  /** The pod's hosts file (bind-mounted on /etc/hosts). */
  hostsFile: string;
  /** The pod's resolv.conf (bind-mounted on /etc/resolv.conf): no DNS server answers in a pod. */
  resolvFile: string;
  /** The pod's scratch directory (overlay upper layers go on a tmpfs in it). */
  podDir: string;
  /** Working directory of the process. */
  workDir: string;
  /** node and the CLI, then the CLI's arguments. */
  argv: string[];
  /** The pod's host name (set in its own UTS namespace). */
  hostname?: string;
}

/** The script text, and directories it had to create on the host (removed when the pod goes). */
export interface Wrapper {
  script: string;
  hostDirs: string[];
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A shell script run inside the pod's own mount namespace (`unshare --mount --propagation private`)
 * that builds the pod's root and becomes its process: it bind-mounts the host's tree (`--rbind /`)
 * at a root of the pod's own, mounts each volume at its mountPath there (read-only when asked), the
 * pod's hosts file and resolv.conf on /etc, then `exec chroot`s into it and `exec`s node, so the
 * process keeps the PID the local node signals. Sources are read through the real root, so a
 * volume on /tmp (the operator's) cannot hide another volume's source; the project and the working
 * directory are bound again if a volume covers them. A missing mountPath directory is made inside
 * an overlay of its nearest existing ancestor, so the host's filesystem is left as it was.
 */
export function renderWrapper(input: WrapperInput): Wrapper {
  const lines = ['set -eu', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
  if (input.hostname) lines.push(`hostname ${q(input.hostname)}`);
  const root = join(input.podDir, 'root', input.container.name);
  const ovlRoot = join(input.podDir, 'overlay', input.container.name);
  const r = (path: string) => (path === '/' ? root : `${root}${path}`);
  lines.push(
    `mkdir -p ${q(root)} ${q(ovlRoot)}`,
    `mount -t tmpfs -o mode=0755 hg-overlay ${q(ovlRoot)}`,
    `mount --rbind / ${q(root)}`,
  );
  const mountList = mountsOf(input);
  const overlaid: string[] = [];
  const hostDirs: string[] = [];
  const targets: string[] = [];
  const under = (path: string, dirs: string[]) => dirs.some((d) => path === d || path.startsWith(`${d}/`));
  for (const { source, target, readOnly } of mountList) {
    const isFile = existsSync(source) && statSync(source).isFile();
    let resolved: string;
    if (under(target, targets)) {
      // Inside an earlier volume: the directory is made in that volume, as the kubelet's runtime does.
      resolved = target;
      lines.push(isFile ? `touch ${q(r(resolved))}` : `mkdir -p ${q(r(resolved))}`);
    } else if (existsSync(target)) {
      resolved = realpathSync(target);
    } else {
      let ancestor = dirname(target);
      while (!existsSync(ancestor)) ancestor = dirname(ancestor);
      const real = realpathSync(ancestor);
      resolved = join(real, target.slice(ancestor === '/' ? 1 : ancestor.length + 1));
      if (real === '/') {
        // The pod's root is the host's / bound again: an overlay there would hide its submounts.
        hostDirs.push(join('/', resolved.split('/')[1]!));
      } else if (!under(real, overlaid)) {
        overlaid.push(real);
        const up = join(ovlRoot, `u${overlaid.length}`);
        const work = join(ovlRoot, `w${overlaid.length}`);
        lines.push(
          `mkdir -p ${q(up)} ${q(work)}`,
          `mount -t overlay hg-overlay -o ${q(`lowerdir=${r(real)},upperdir=${up},workdir=${work}`)} ${q(r(real))}`,
        );
      }
      lines.push(
        isFile
          ? `mkdir -p ${q(r(dirname(resolved)))} && touch ${q(r(resolved))}`
          : `mkdir -p ${q(r(resolved))}`,
      );
    }
    targets.push(resolved);
    lines.push(`mount --bind ${q(source)} ${q(r(resolved))}`);
    if (readOnly) lines.push(`mount -o remount,bind,ro ${q(r(resolved))}`);
  }
  // What the process itself needs, should a volume have covered it (an emptyDir on /tmp).
  const project = dirname(dirname(input.argv[1] ?? '/'));
  for (const path of [project, input.workDir]) {
    if (under(path, targets)) lines.push(`mkdir -p ${q(r(path))}`, `mount --bind ${q(path)} ${q(r(path))}`);
  }
  lines.push(
    `exec chroot ${q(root)} /bin/sh -c 'cd "$0" && exec "$@"' ${[input.workDir, ...input.argv].map(q).join(' ')}`,
  );
  return { script: `${lines.join('\n')}\n`, hostDirs };
}

/** The container's volume mounts (shallowest first), then the pod's hosts file and resolv.conf. */
function mountsOf(input: WrapperInput): { source: string; target: string; readOnly: boolean }[] {
  const mounts = [...(input.container.volumeMounts ?? [])].sort(
    (a, b) => posix.normalize(a.mountPath).length - posix.normalize(b.mountPath).length,
  );
  const list: { source: string; target: string; readOnly: boolean }[] = [];
  for (const m of mounts) {
    const vol = input.volumes.find((v) => v.name === m.name);
    if (!vol)
      throw new ContainerSpecError(
        'CreateContainerConfigError',
        `volumeMount "${m.name}" names no volume of the pod`,
      );
    if (!posix.isAbsolute(m.mountPath))
      throw new ContainerSpecError(
        'CreateContainerConfigError',
        `volumeMount "${m.name}": mountPath "${m.mountPath}" must be absolute`,
      );
    const source = m.subPath ? join(vol.hostPath, m.subPath) : vol.hostPath;
    list.push({ source, target: posix.normalize(m.mountPath), readOnly: !!m.readOnly });
  }
  list.push({ source: input.hostsFile, target: '/etc/hosts', readOnly: false });
  if (existsSync('/etc/resolv.conf'))
    list.push({ source: input.resolvFile, target: '/etc/resolv.conf', readOnly: true });
  return list;
}
