/** A status API answer with a JSON body. */
export interface JsonAnswer {
  status: number;
  body: unknown;
}

/** A status API answer with a text body (Prometheus exposition). */
export interface TextAnswer {
  status: number;
  text: string;
  contentType: string;
}

/** What a status API route returns; the HTTP shell writes it. */
export type StatusAnswer = JsonAnswer | TextAnswer;

/** Kong's readiness message of a node that has no configuration yet (DP, DB-less). */
export const NO_CONFIGURATION = 'no configuration available (empty configuration present)';

/** Kong's readiness message of a node whose database does not answer (kong/status/ready.lua). */
export const DATABASE_UNREACHABLE = 'failed to connect to database';

/** 200 `{"message":"ready"}` of `/status/ready`. */
export const READY: JsonAnswer = { status: 200, body: { message: 'ready' } };

/** 404 of any path the status API does not serve. */
export const NOT_FOUND: JsonAnswer = { status: 404, body: { message: 'Not found' } };

/** 405 of anything but GET and HEAD: the status API never changes anything. */
export const METHOD_NOT_ALLOWED: JsonAnswer = { status: 405, body: { message: 'Method not allowed' } };

/** 500 of a route that threw (the cause is logged, never shown). */
export const UNEXPECTED: JsonAnswer = { status: 500, body: { message: 'An unexpected error occurred' } };

/** 503 of `/status/ready` with Kong's reason. */
export function notReady(message: string): JsonAnswer {
  return { status: 503, body: { message } };
}

/** What `/status` reports, whatever the node's role. */
export interface StatusFacts {
  reachable: boolean;
  /** Kong's `server` block (nginx stub_status counters). */
  server: Record<string, number>;
  /** Set on nodes that serve a configuration (DP, DB-less): Kong adds `configuration_hash` there. */
  configurationHash?: string;
}

/**
 * The body of `GET /status` in Kong's shape: `database.reachable`, `server` counters, `memory` (this
 * process's heap and RSS, bytes) and, on nodes that proxy, `configuration_hash`.
 */
export function statusBody(facts: StatusFacts): Record<string, unknown> {
  const mem = process.memoryUsage();
  return {
    database: { reachable: facts.reachable },
    server: facts.server,
    memory: { heap_used: mem.heapUsed, rss: mem.rss },
    ...(facts.configurationHash === undefined ? {} : { configuration_hash: facts.configurationHash }),
  };
}
