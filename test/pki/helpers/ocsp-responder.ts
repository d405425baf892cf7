import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { waitFor } from '../../cluster/helpers.js';

/** A port the OS just handed out and released (openssl ocsp needs a fixed -port). */
export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A running `openssl ocsp` responder. */
export interface OcspResponder {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `openssl ocsp` as a responder for `index` (an `openssl ca` database) signing with
 * `signerCert`/`signerKey`, answering for certificates issued by `caCert`; resolves once it accepts
 * connections. `nextUpdateMinutes` sets nextUpdate in its answers (the CP's cache honours it).
 */
export async function startOcspResponder(o: {
  index: string;
  caCert: string;
  signerCert: string;
  signerKey: string;
  nextUpdateMinutes?: number;
  /** A port chosen beforehand (certificates name the responder URL before it runs). */
  port?: number;
}): Promise<OcspResponder> {
  const port = o.port ?? (await freePort());
  const args = [
    'ocsp',
    '-index',
    o.index,
    '-port',
    String(port),
    '-CA',
    o.caCert,
    '-rsigner',
    o.signerCert,
    '-rkey',
    o.signerKey,
    '-ignore_err',
  ];
  if (o.nextUpdateMinutes) args.push('-nmin', String(o.nextUpdateMinutes));
  const child: ChildProcess = spawn('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    // It says so on stderr once bound. (A connect probe would not do: the responder is single-threaded
    // and waits on a probe that sends nothing, stalling every later request.)
    await waitFor(() => {
      if (exited) throw new Error(`openssl ocsp exited: ${stderr}`);
      return stderr.includes('waiting for OCSP client connections');
    }, 'openssl ocsp to accept connections');
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}/`,
    async stop() {
      if (exited) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      await gone;
    },
  };
}
