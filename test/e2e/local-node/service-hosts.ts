import type { KubeApi, KubeObject, WatchEvent } from './kube-api.js';

/** An EndpointSlice, as far as names go. */
interface EndpointSlice extends KubeObject {
  metadata: KubeObject['metadata'] & { namespace: string };
  endpoints?: { addresses: string[]; hostname?: string; conditions?: { ready?: boolean } }[];
}

interface Service extends KubeObject {
  metadata: KubeObject['metadata'] & { namespace: string };
  spec?: { publishNotReadyAddresses?: boolean; clusterIP?: string };
}

const SERVICE_LABEL = 'kubernetes.io/service-name';

/**
 * Stands in for cluster DNS and kube-proxy's name side: watches Services and EndpointSlices and
 * renders, per pod, a hosts file mapping each Service's names to its ready endpoints (every IP
 * under one name; getaddrinfo returns them all), pods of headless Services under
 * `<hostname>.<svc>.<ns>.svc`, and kubernetes.default.svc to the apiserver. `onChange` fires after
 * each change so the node rewrites the pods' files. Ports are not translated: a Service reached by
 * name answers on the endpoints' (target) ports.
 */
export class ServiceHosts {
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, EndpointSlice>();
  private synced = { services: false, slices: false };
  private readonly whenSynced: Promise<void>;
  private markSynced!: () => void;

  constructor(
    private readonly api: KubeApi,
    private readonly apiHost: string,
    private readonly onChange: () => void,
    private readonly onError: (err: unknown) => void,
  ) {
    this.whenSynced = new Promise((r) => (this.markSynced = r));
  }

  /** Starts both watches; resolves once both lists are in. */
  async start(signal: AbortSignal): Promise<void> {
    const key = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
    const follow = <T extends KubeObject>(path: string, map: Map<string, T>, which: 'services' | 'slices') =>
      void this.api.listWatch<T>(
        path,
        {
          onList: (items) => {
            map.clear();
            for (const item of items) map.set(key(item), item);
            this.synced[which] = true;
            if (this.synced.services && this.synced.slices) this.markSynced();
            this.onChange();
          },
          onEvent: (ev: WatchEvent<T>) => {
            if (ev.type === 'DELETED') map.delete(key(ev.object));
            else map.set(key(ev.object), ev.object);
            this.onChange();
          },
        },
        signal,
        this.onError,
      );
    follow<Service>('/api/v1/services', this.services, 'services');
    follow<EndpointSlice>('/apis/discovery.k8s.io/v1/endpointslices', this.slices, 'slices');
    await this.whenSynced;
  }

  /** The hosts file of a pod in `namespace` with address `podIP` and host name `hostname`. */
  render(namespace: string, podIP: string, hostname: string, subdomain?: string): string {
    const lines = [
      '# managed by the hybridgate local node (stands in for cluster DNS)',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
    ];
    const own = subdomain
      ? [
          `${hostname}.${subdomain}.${namespace}.svc.cluster.local`,
          `${hostname}.${subdomain}.${namespace}.svc`,
        ]
      : [];
    if (podIP) lines.push(`${podIP}\t${[hostname, ...own].join(' ')}`);
    lines.push(`${this.apiHost}\t${names('kubernetes', 'default', namespace).join(' ')}`);
    const byService = new Map<string, { ip: string; hostname?: string }[]>();
    for (const slice of this.slices.values()) {
      const svc = slice.metadata.labels?.[SERVICE_LABEL];
      if (!svc) continue;
      const id = `${slice.metadata.namespace}/${svc}`;
      const service = this.services.get(id);
      if (!service) continue;
      const list = byService.get(id) ?? [];
      for (const ep of slice.endpoints ?? []) {
        if (ep.conditions?.ready === false && !service.spec?.publishNotReadyAddresses) continue;
        for (const ip of ep.addresses) list.push({ ip, hostname: ep.hostname });
      }
      byService.set(id, list);
    }
    for (const [id, endpoints] of [...byService].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const [ns, svc] = id.split('/') as [string, string];
      if (ns === 'default' && svc === 'kubernetes') continue;
      for (const ep of endpoints) {
        const all = names(svc, ns, namespace);
        if (ep.hostname)
          all.push(`${ep.hostname}.${svc}.${ns}.svc`, `${ep.hostname}.${svc}.${ns}.svc.cluster.local`);
        lines.push(`${ep.ip}\t${all.join(' ')}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}

/** The names a pod in `from` can use for Service `svc` in `ns` (the short ones through search domains). */
function names(svc: string, ns: string, from: string): string[] {
  const out = [`${svc}.${ns}.svc.cluster.local`, `${svc}.${ns}.svc`, `${svc}.${ns}`];
  if (ns === from) out.push(svc);
  return out;
}
