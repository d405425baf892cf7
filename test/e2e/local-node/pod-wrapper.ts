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
}

/** The script text, and directories it had to create on the host (removed when the pod goes). */
export interface Wrapper {
  script: string;
  hostDirs: string[];
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A shell script run inside the pod's own mount namespace (`unshare --mount --propagation private`):
 * it bind-mounts each volume at its mountPath (read-only when asked) and the pod's hosts file at
 * /etc/hosts, then `exec`s node so that the process keeps the PID the local node signals. A
 * mountPath whose directory does not exist gets it inside an overlay of its nearest existing
 * ancestor, so the host's filesystem is left as it was.
 */
export function renderWrapper(input: WrapperInput): Wrapper {
  const lines = ['set -eu', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
  const ovlRoot = join(input.podDir, 'overlay', input.container.name);
  lines.push(`mkdir -p ${q(ovlRoot)}`, `mount -t tmpfs -o mode=0755 hg-overlay ${q(ovlRoot)}`);
  const overlaid: string[] = [];
  const hostDirs: string[] = [];
  const binds: string[] = [];
  const mounts = [...(input.container.volumeMounts ?? [])].sort(
    (a, b) => posix.normalize(a.mountPath).length - posix.normalize(b.mountPath).length,
  );
  const mountList: { source: string; target: string; readOnly: boolean }[] = [];
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
        `volumeMount "${m.name}": mountPath must be absolute`,
      );
    const source = m.subPath ? join(vol.hostPath, m.subPath) : vol.hostPath;
    mountList.push({ source, target: posix.normalize(m.mountPath), readOnly: !!m.readOnly });
  }
  mountList.push({ source: input.hostsFile, target: '/etc/hosts', readOnly: false });
  if (existsSync('/etc/resolv.conf'))
    mountList.push({ source: input.resolvFile, target: '/etc/resolv.conf', readOnly: true });

  for (const { source, target, readOnly } of mountList) {
    const isFile = existsSync(source) && statSync(source).isFile();
    let resolved: string;
    if (existsSync(target)) {
      resolved = realpathSync(target);
    } else {
      let ancestor = dirname(target);
      while (!existsSync(ancestor)) ancestor = dirname(ancestor);
      const real = realpathSync(ancestor);
      resolved = join(real, target.slice(ancestor === '/' ? 1 : ancestor.length + 1));
      if (real === '/') {
        // An overlay on / would not be seen (a process's root is not crossed by later mounts).
        hostDirs.push(join('/', target.split('/')[1]!));
      } else if (!overlaid.some((o) => real === o || real.startsWith(`${o}/`))) {
        overlaid.push(real);
        const n = overlaid.length;
        const up = join(ovlRoot, `u${n}`);
        const work = join(ovlRoot, `w${n}`);
        lines.push(
          `mkdir -p ${q(up)} ${q(work)}`,
          `mount -t overlay hg-overlay -o ${q(`lowerdir=${real},upperdir=${up},workdir=${work}`)} ${q(real)}`,
        );
      }
      lines.push(
        isFile ? `mkdir -p ${q(dirname(resolved))} && touch ${q(resolved)}` : `mkdir -p ${q(resolved)}`,
      );
    }
    binds.push(`mount --bind ${q(source)} ${q(resolved)}`);
    if (readOnly) binds.push(`mount -o remount,bind,ro ${q(resolved)}`);
  }
  lines.push(...binds, `cd ${q(input.workDir)}`, `exec ${input.argv.map(q).join(' ')}`);
  return { script: `${lines.join('\n')}\n`, hostDirs };
}
