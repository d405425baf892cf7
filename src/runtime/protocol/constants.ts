/**
 * Fixed names and numbers of protocol v1 (docs/protocol.md). Both planes import them so the wire
 * format has one definition.
 */

/** The WebSocket endpoint on the CP's cluster listener (Kong's "sync v1"). */
export const OUTLET_PATH = '/v1/outlet';

/** SNI a DP sends in shared mode, and the CN of the shared certificate. */
export const SHARED_SERVER_NAME = 'kong_clustering';

/** The hash of "no configuration": 32 zeros (Kong's DECLARATIVE_EMPTY_CONFIG_HASH). */
export const EMPTY_CONFIG_HASH = '00000000000000000000000000000000';

/** What a config hash looks like on the wire. */
export const CONFIG_HASH_PATTERN = /^[0-9a-f]{32}$/;

/** A DP's synchronisation state as the CP sees it (Kong's sync_status values). */
export const SYNC_STATUSES = [
  'unknown',
  'normal',
  'kong_version_incompatible',
  'plugin_set_incompatible',
  'plugin_version_incompatible',
] as const;

/** One of SYNC_STATUSES. */
export type SyncStatus = (typeof SYNC_STATUSES)[number];

/**
 * WebSocket close codes. 1000/1001/1009 are RFC 6455's; the 4xxx codes are ours (the range RFC 6455
 * leaves to applications), so a peer can tell why it was dropped without parsing the reason text.
 */
export const CLOSE_CODES = {
  normal: 1000,
  /** A DP shutting down says goodbye with this; the CP marks it disconnected at once. */
  goingAway: 1001,
  /** A frame exceeded cluster_max_payload. */
  messageTooBig: 1009,
  /** The first frame was not a valid basic_info. */
  badBasicInfo: 4000,
  /** A frame the receiver does not accept in this state (unknown type, text frame, bad ping). */
  unexpectedFrame: 4001,
  /** kong_version_incompatible: the DP's version cannot be served by this CP. */
  versionIncompatible: 4002,
  /** No heartbeat within 1.5 ping intervals. */
  heartbeatTimeout: 4003,
  /** The CP is shutting down. */
  serverShutdown: 4004,
  /** The CP forgot this DP (DELETE /clustering/data-planes/{id}). */
  removed: 4005,
  // 4006 is the certificate revalidation's (revalidate-sessions.ts: certificate no longer accepted).
  /** The DP sent allowed frames faster than its per-connection rate limit (docs/protocol.md). */
  rateLimited: 4007,
  /** The node_id is bound to another certificate (pki) or connected from another address (shared). */
  identityConflict: 4008,
} as const;

/** Default seconds between DP pings (Kong's CLUSTERING_PING_INTERVAL). */
export const DEFAULT_PING_INTERVAL_SECONDS = 30;

/** A peer is dead after this many ping intervals without a frame (Kong: 45 s for a 30 s interval). */
export const DEAD_PEER_FACTOR = 1.5;
