import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The apiserver's serving chain for the local cluster: files for its flags, the CA for clients. */
export interface ServingCerts {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** The names pods and tests use for the apiserver (kubernetes.default.svc as in a cluster). */
const DNS_NAMES = [
  'localhost',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];

/**
 * A throwaway CA and a serving certificate signed by it whose SANs cover 127.0.0.1, the bridge's
 * host address, the first Service IP and the kubernetes.default names (the apiserver's own
 * self-signed certificate lacks the .cluster.local name). EC P-256 with openssl: milliseconds.
 */
export async function makeServingCerts(dir: string, addresses: string[]): Promise<ServingCerts> {
  const ca = { key: join(dir, 'ca.key'), cert: join(dir, 'ca.crt') };
  const srv = {
    key: join(dir, 'apiserver.key'),
    csr: join(dir, 'apiserver.csr'),
    cert: join(dir, 'apiserver.crt'),
  };
  const ext = join(dir, 'apiserver.ext');
  const ips = ['127.0.0.1', '10.96.0.1', ...addresses];
  await writeFile(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${[...DNS_NAMES.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)].join(',')}`,
    ].join('\n'),
  );
  const openssl = async (args: string[]) => {
    try {
      await run('openssl', args, { timeout: 30_000 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim()}`, { cause: err });
    }
  };
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', ca.key]);
  await openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    ca.key,
    '-subj',
    '/CN=hybridgate-local-cluster-ca',
    '-days',
    '2',
    '-out',
    ca.cert,
  ]);
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', srv.key]);
  await openssl(['req', '-new', '-key', srv.key, '-subj', '/CN=kube-apiserver', '-out', srv.csr]);
  await openssl([
    'x509',
    '-req',
    '-in',
    srv.csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    srv.cert,
  ]);
  return { caFile: ca.cert, certFile: srv.cert, keyFile: srv.key };
}
