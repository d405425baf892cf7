import { copyFileSync, mkdirSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

/** The files a cluster Secret holds, by key. */
export interface SecretFiles {
  'tls.crt': string;
  'tls.key': string;
  'ca.crt': string;
}

/**
 * A directory laid out as the kubelet mounts a Secret volume: `<key> -> ..data/<key>` and
 * `..data -> ..<version>/`. An update writes a new version directory and swaps `..data` with one
 * rename, so every key changes at once and no watched file is modified in place (kubelet AtomicWriter).
 */
export class SecretMount {
  private version = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** The path a node's conf names for `key`. */
  path(key: keyof SecretFiles): string {
    return join(this.dir, key);
  }

  /** Writes (or atomically replaces) the Secret's content. */
  write(files: SecretFiles): void {
    this.version++;
    const versionDir = `..v${this.version}`;
    mkdirSync(join(this.dir, versionDir));
    for (const [key, src] of Object.entries(files)) copyFileSync(src, join(this.dir, versionDir, key));
    const tmp = join(this.dir, '..data_tmp');
    symlinkSync(versionDir, tmp);
    renameSync(tmp, join(this.dir, '..data'));
    if (this.version === 1) {
      for (const key of Object.keys(files)) symlinkSync(join('..data', key), join(this.dir, key));
    }
  }
}
