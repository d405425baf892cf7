import { createHash } from 'node:crypto';
import { ConfigBuildError } from './engine-error.js';
import type { ConfigEntity, ServicePlan } from './types.js';
import type { RouterService } from '../router/types.js';

/**
 * Precomputes, per service, where and how to forward (protocol, balancer name or direct peer, timeouts,
 * retries, TLS verification and CA bundle), so the request path only reads fields. Services whose host
 * names an upstream go through that upstream's balancer, as in Kong.
 */
export function buildServicePlans(
  services: ConfigEntity[],
  upstreams: ReadonlyMap<string, ConfigEntity>,
  caCertificates: ConfigEntity[],
): Map<string, ServicePlan> {
  const caById = new Map<string, string>();
  for (const ca of caCertificates) if (typeof ca.cert === 'string') caById.set(ca.id, ca.cert);
  const plans = new Map<string, ServicePlan>();
  for (const s of services) {
    if (typeof s.host !== 'string' || s.host === '') {
      throw new ConfigBuildError(`service ${s.id}: host is required`, { serviceId: s.id, field: 'host' });
    }
    const proto = String(s.protocol ?? 'http');
    const protocol: 'http' | 'https' =
      proto === 'https' || proto === 'grpcs' || proto === 'tls' ? 'https' : 'http';
    let ca: string[] | null = null;
    if (Array.isArray(s.ca_certificates) && s.ca_certificates.length > 0) {
      ca = s.ca_certificates.map((id) => {
        const pem = caById.get(String(id));
        if (pem === undefined) {
          throw new ConfigBuildError(`service ${s.id}: ca_certificate ${String(id)} not found`, {
            serviceId: s.id,
            field: 'ca_certificates',
          });
        }
        return pem;
      });
    }
    const upstream = upstreams.get(s.host);
    plans.set(s.id, {
      service: s as RouterService & ConfigEntity,
      protocol,
      upstreamName: upstream === undefined ? null : s.host,
      directPeer: { host: s.host, port: Number(s.port ?? (protocol === 'https' ? 443 : 80)) },
      retries: Number(s.retries ?? 5),
      connectTimeout: Number(s.connect_timeout ?? 60_000),
      writeTimeout: Number(s.write_timeout ?? 60_000),
      readTimeout: Number(s.read_timeout ?? 60_000),
      // Kong leaves verification to the global setting when tls_verify is null; ours defaults to on.
      tlsVerify: s.tls_verify !== false,
      ca,
      caKey: ca === null ? '' : createHash('sha256').update(ca.join('\n')).digest('hex').slice(0, 16),
      hostHeader: typeof upstream?.host_header === 'string' ? upstream.host_header : null,
    });
  }
  return plans;
}
