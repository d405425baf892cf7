/**
 * The typed snapshot the data plane proxies with (`ConfigState`) and the narrow interfaces through which
 * the engine plugs in balancers and the plugin index. The balancer and plugin framework live in
 * `../balancer` and `../plugins` (another area); these interfaces are what the proxy needs from them,
 * so either side can change its internals without touching the other.
 */
import type { ConfigHashes } from '../../config/hash.js';
import type tls from 'node:tls';
import type { Router } from '../router/router.js';
import type { RouterRoute, RouterService } from '../router/types.js';

/** An entity of the flat declarative config: an id plus Kong's fields, FKs as `{ id }`. */
export type ConfigEntity = { id: string } & Record<string, unknown>;

/** The flat config the declarative loader produces (every family optional here, absent = empty). */
export interface DataPlaneConfig {
  services?: ConfigEntity[];
  routes?: ConfigEntity[];
  upstreams?: ConfigEntity[];
  targets?: ConfigEntity[];
  plugins?: ConfigEntity[];
  consumers?: ConfigEntity[];
  certificates?: ConfigEntity[];
  ca_certificates?: ConfigEntity[];
  snis?: ConfigEntity[];
  keyauth_credentials?: ConfigEntity[];
  basicauth_credentials?: ConfigEntity[];
  acls?: ConfigEntity[];
  [family: string]: unknown;
}

/** Kong's config hash and its sub-hashes (32 hex chars each); defined with the hash function. */
export type { ConfigHashes };

/** One address the proxy can connect to. `id` is the target entity's id when it comes from one. */
export interface Peer {
  host: string;
  port: number;
  id?: string;
  /** `host:port` as written in the target entity (what the status API shows). */
  target?: string;
}

/** What a balancer may hash on (consistent-hashing) and which peers already failed (retries). */
export interface PickContext {
  clientIp: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  path: string;
  query: string;
  consumerId: string | null;
  /** Named captures of the matched route's regex path (hash_on = uri_capture). */
  uriCaptures?: Readonly<Record<string, string>> | null;
  /** Peers that failed earlier in this request; a balancer should avoid them when it can. */
  tried: readonly Peer[];
  /** Output of pick (hash_on = cookie): a Set-Cookie value the proxy adds to the response. */
  setCookie?: string | null;
}

/** Health of one target as the status API reports it (Kong's values). */
export interface TargetHealth {
  id: string;
  target: string;
  weight: number;
  health: 'HEALTHY' | 'UNHEALTHY' | 'DNS_ERROR' | 'HEALTHCHECKS_OFF';
}

/** A load balancer for one upstream. */
export interface Balancer {
  /** The next peer, or null when no target is healthy (503 "failure to get a peer from the ring-balancer"). */
  pick(ctx: PickContext): Peer | null;
  /** Passive health check input after each attempt. */
  report?(peer: Peer, outcome: 'success' | 'failure' | 'timeout', status?: number): void;
  /** Health of every target, for `/upstreams/{u}/health`. */
  health?(): TargetHealth[];
  /** Connections in flight on a peer ended (least-connections). */
  release?(peer: Peer): void;
  /** Stops active health checks when the balancer is replaced. */
  close?(): void;
  /** Resolves once targets' first DNS resolution finished; the engine waits for it before swapping. */
  ready?(): Promise<void>;
  /** Upstream-level health (`?balancer_health=1`). */
  balancerHealth?(): TargetHealth['health'];
}

/** Builds a balancer from an upstream entity and its targets. */
export type BalancerFactory = (upstream: ConfigEntity, targets: ConfigEntity[]) => Balancer;

/** Builds the plugin index (opaque to the engine; the proxy hands it to the plugin runner). */
export type PluginIndexFactory = (config: DataPlaneConfig) => unknown;

/** Looks up consumers and their credentials, for auth plugins. */
export interface ConsumerIndex {
  byId: ReadonlyMap<string, ConfigEntity>;
  byUsername: ReadonlyMap<string, ConfigEntity>;
  byCustomId: ReadonlyMap<string, ConfigEntity>;
  keyauthByKey: ReadonlyMap<string, ConfigEntity>;
  basicauthByUsername: ReadonlyMap<string, ConfigEntity>;
  aclsByConsumer: ReadonlyMap<string, ConfigEntity[]>;
}

/** A precomputed forwarding plan for one service: everything the proxy needs, built per config. */
export interface ServicePlan {
  service: RouterService & ConfigEntity;
  protocol: 'http' | 'https';
  /** The upstream's balancer when service.host names an upstream; otherwise null (direct host). */
  upstreamName: string | null;
  directPeer: Peer;
  retries: number;
  connectTimeout: number;
  writeTimeout: number;
  readTimeout: number;
  tlsVerify: boolean;
  /** PEM CA bundle from the service's ca_certificates, or null for the system store. */
  ca: string[] | null;
  /** Digest of `ca` ('' without one): connection pools are keyed by it, so a changed CA gets new pools. */
  caKey: string;
  /** Upstream `host_header` override, when the upstream sets one. */
  hostHeader: string | null;
}

/** TLS contexts by SNI, built per config. */
export interface CertificateIndex {
  /** The context for a server name (exact, then wildcard), or undefined for the default. */
  lookup(servername: string): tls.SecureContext | undefined;
  readonly size: number;
}

/** The immutable snapshot requests run against; a config change swaps the whole reference. */
export interface ConfigState {
  hash: string;
  hashes: ConfigHashes;
  config: DataPlaneConfig;
  router: Router<RouterRoute & ConfigEntity, RouterService & ConfigEntity>;
  plans: ReadonlyMap<string, ServicePlan>;
  upstreams: ReadonlyMap<string, ConfigEntity>;
  balancers: ReadonlyMap<string, Balancer>;
  plugins: unknown;
  certificates: CertificateIndex;
  consumers: ConsumerIndex;
  appliedAt: number;
}
