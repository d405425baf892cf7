import { describe, expect, it } from '@jest/globals';
import { checkImage, cliArgs, ContainerSpecError, renderWrapper } from './pod-wrapper.js';

describe('checkImage', () => {
  it('accepts the Hybridgate image with any tag or digest', () => {
    for (const image of [
      'hybridgate/hybridgate',
      'hybridgate/hybridgate:0.1.0',
      `hybridgate/hybridgate@sha256:${'a'.repeat(64)}`,
      `hybridgate/hybridgate:1.2@sha256:${'b'.repeat(64)}`,
    ])
      expect(() => checkImage(image)).not.toThrow();
  });

  it('refuses anything else with a message naming the image', () => {
    for (const image of ['nginx:1.27', 'hybridgate/hybridgate-extra:1', 'other/hybridgate/hybridgate:1']) {
      let err: unknown;
      try {
        checkImage(image);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ContainerSpecError);
      expect((err as ContainerSpecError).reason).toBe('ErrImagePull');
      expect((err as Error).message).toContain(`"${image}"`);
    }
  });
});

describe('cliArgs', () => {
  const c = (command?: string[], args?: string[]) => ({
    name: 'c',
    image: 'hybridgate/hybridgate',
    command,
    args,
  });
  it('maps the entrypoint forms to the CLI arguments (CMD start by default)', () => {
    expect(cliArgs(c())).toEqual(['start']);
    expect(cliArgs(c(undefined, ['operator', '--no-leader-elect']))).toEqual([
      'operator',
      '--no-leader-elect',
    ]);
    expect(cliArgs(c(['hybridgate', 'start'], ['-p', '/x']))).toEqual(['start', '-p', '/x']);
    expect(cliArgs(c(['/app/bin/hybridgate.js'], ['version']))).toEqual(['version']);
    expect(cliArgs(c(['node', '/app/bin/hybridgate.js', 'start']))).toEqual(['start']);
  });
  it('refuses another command', () => {
    expect(() => cliArgs(c(['sh', '-c', 'echo']))).toThrow(/not the image's entrypoint/);
  });
});

describe('renderWrapper', () => {
  const base = {
    hostsFile: '/tmp/pod/hosts',
    resolvFile: '/tmp/pod/resolv.conf',
    podDir: '/tmp/pod',
    workDir: '/tmp/pod/work',
    argv: ['/usr/bin/node', '/repo/bin/hybridgate.js', 'start'],
  };

  it('binds volumes in the pod root (read-only when asked), overlays missing parents, execs chroot', () => {
    const { script, hostDirs } = renderWrapper({
      ...base,
      container: {
        name: 'c',
        image: 'hybridgate/hybridgate',
        volumeMounts: [
          { name: 'certs', mountPath: '/etc/hybridgate-test-missing/cluster', readOnly: true },
          { name: 'tmp', mountPath: '/tmp' },
        ],
      },
      volumes: [
        { name: 'certs', hostPath: '/tmp/pod/volumes/certs' },
        { name: 'tmp', hostPath: '/tmp/pod/volumes/tmp' },
      ],
    });
    const root = '/tmp/pod/root/c';
    expect(script).toContain(`mount --rbind / '${root}'`);
    expect(script).toContain(`mount --bind '/tmp/pod/volumes/tmp' '${root}/tmp'`);
    expect(script).toMatch(new RegExp(`mount -t overlay hg-overlay -o 'lowerdir=${root}/etc,`));
    expect(script).toContain(`mount -o remount,bind,ro '${root}/etc/hybridgate-test-missing/cluster'`);
    // /tmp covers the working directory: it is bound again
    expect(script).toContain(`mount --bind '/tmp/pod/work' '${root}/tmp/pod/work'`);
    expect(script.trim().split('\n').pop()).toMatch(
      /^exec chroot '\/tmp\/pod\/root\/c' \/bin\/sh -c .* '\/usr\/bin\/node' '\/repo\/bin\/hybridgate.js' 'start'$/,
    );
    expect(hostDirs).toEqual([]);
  });

  it('names the volume a mount refers to when it is missing', () => {
    expect(() =>
      renderWrapper({
        ...base,
        container: { name: 'c', image: 'x', volumeMounts: [{ name: 'nope', mountPath: '/x' }] },
        volumes: [],
      }),
    ).toThrow(/volumeMount "nope" names no volume/);
  });
});
