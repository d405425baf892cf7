import tls from 'node:tls';
import { ConfigBuildError } from './engine-error.js';
import type { CertificateIndex, ConfigEntity } from './types.js';

/**
 * Builds one TLS context per certificate entity (with its `cert_alt`/`key_alt` pair, so ECDSA and RSA
 * clients both get one) and maps every SNI entity to it: exact names in one map, `*.x` and `x.*`
 * wildcards in two maps keyed by their fixed part, so a handshake never scans the list.
 */
export function buildCertificateIndex(certificates: ConfigEntity[], snis: ConfigEntity[]): CertificateIndex {
  const contexts = new Map<string, tls.SecureContext>();
  for (const c of certificates) {
    const cert = [c.cert, c.cert_alt].filter((v): v is string => typeof v === 'string' && v !== '');
    const key = [c.key, c.key_alt].filter((v): v is string => typeof v === 'string' && v !== '');
    if (cert.length === 0 || cert.length !== key.length) {
      throw new ConfigBuildError(`certificate ${c.id}: expected cert and key (and cert_alt with key_alt)`, {
        certificateId: c.id,
      });
    }
    try {
      contexts.set(c.id, tls.createSecureContext({ cert, key }));
    } catch (err) {
      throw new ConfigBuildError(
        `certificate ${c.id} does not load: ${(err as Error).message}`,
        { certificateId: c.id },
        {
          cause: err,
        },
      );
    }
  }
  const exact = new Map<string, tls.SecureContext>();
  const suffix = new Map<string, tls.SecureContext>();
  const prefix = new Map<string, tls.SecureContext>();
  for (const s of snis) {
    const name = String(s.name ?? '').toLowerCase();
    const certId = (s.certificate as { id?: string } | null | undefined)?.id;
    const ctx = certId === undefined ? undefined : contexts.get(certId);
    if (ctx === undefined) {
      throw new ConfigBuildError(`sni ${name}: certificate ${String(certId)} not found`, {
        sni: name,
        certificateId: certId,
      });
    }
    if (name.startsWith('*.')) suffix.set(name.slice(1), ctx);
    else if (name.endsWith('.*')) prefix.set(name.slice(0, -1), ctx);
    else exact.set(name, ctx);
  }
  return {
    size: contexts.size,
    lookup(servername: string): tls.SecureContext | undefined {
      const name = servername.toLowerCase();
      const hit = exact.get(name);
      if (hit !== undefined) return hit;
      if (suffix.size === 0 && prefix.size === 0) return undefined;
      for (let i = name.indexOf('.'); i > 0; i = name.indexOf('.', i + 1)) {
        const s = suffix.get(name.slice(i));
        if (s !== undefined) return s;
        const p = prefix.get(name.slice(0, i + 1));
        if (p !== undefined && i + 1 < name.length) return p;
      }
      return undefined;
    },
  };
}
