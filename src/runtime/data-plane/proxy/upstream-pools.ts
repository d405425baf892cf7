import { isIP } from 'node:net';
import { Pool } from 'undici';
import type { Peer, ServicePlan } from '../engine/types.js';

/** Keep-alive settings shared by every pool (conf upstream_keepalive_*). */
export interface PoolSettings {
  poolSize: number;
  maxRequests: number;
  idleTimeoutMs: number;
}

/**
 * Connection pools to upstream peers, one undici Pool per (scheme, peer, connect timeout, TLS
 * settings). Pools outlive config swaps so keep-alive connections survive a reload; pools left unused
 * for the idle timeout are closed by a sweep.
 */
interface PoolEntry {
  pool: Pool;
  lastUsed: number;
  /** Set on each use; the sweep turns it into `lastUsed`, so requests never read the clock. */
  used: boolean;
  closed: boolean;
}

export class UpstreamPools {
  private readonly pools = new Map<string, PoolEntry>();
  /** The last (plan, pool) each peer object was used with: the per-request lookup builds no key. */
  private readonly memo = new WeakMap<Peer, { plan: ServicePlan; entry: PoolEntry }>();
  private readonly sweep: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly settings: PoolSettings) {
    this.sweep = setInterval(() => this.evictIdle(), Math.max(1000, settings.idleTimeoutMs)).unref();
  }

  /** The pool for a peer of a service plan, created on first use. */
  get(plan: ServicePlan, peer: Peer): Pool {
    const memo = this.memo.get(peer);
    if (memo !== undefined && memo.plan === plan && !memo.entry.closed) {
      memo.entry.used = true;
      return memo.entry.pool;
    }
    const key = `${plan.protocol}|${peer.host}|${peer.port}|${plan.connectTimeout}|${plan.tlsVerify ? 1 : 0}|${plan.caKey}`;
    const hit = this.pools.get(key);
    if (hit !== undefined) {
      hit.used = true;
      this.memo.set(peer, { plan, entry: hit });
      return hit.pool;
    }
    const host = peer.host.includes(':') ? `[${peer.host}]` : peer.host;
    const pool = new Pool(`${plan.protocol}://${host}:${peer.port}`, {
      connections: this.settings.poolSize,
      pipelining: 1,
      keepAliveTimeout: Math.min(4000, this.settings.idleTimeoutMs),
      keepAliveMaxTimeout: this.settings.idleTimeoutMs,
      maxRequestsPerClient: this.settings.maxRequests,
      connect: {
        timeout: plan.connectTimeout,
        rejectUnauthorized: plan.tlsVerify,
        ...(plan.ca !== null ? { ca: plan.ca } : {}),
        // SNI names the peer (Kong sends the upstream host); IP literals cannot be sent as SNI.
        ...(plan.protocol === 'https' && isIP(peer.host) === 0 ? { servername: peer.host } : {}),
      },
    });
    // A pool whose sockets fail must not crash the process; errors surface on the request instead.
    pool.on('connectionError', () => undefined);
    const entry: PoolEntry = { pool, lastUsed: Date.now(), used: false, closed: false };
    this.pools.set(key, entry);
    this.memo.set(peer, { plan, entry });
    return pool;
  }

  private evictIdle(): void {
    const now = Date.now();
    const cutoff = now - this.settings.idleTimeoutMs;
    for (const [key, entry] of this.pools) {
      if (entry.used) {
        entry.used = false;
        entry.lastUsed = now;
        continue;
      }
      const stats = entry.pool.stats;
      if (entry.lastUsed < cutoff && stats.running === 0 && stats.pending === 0) {
        entry.closed = true;
        this.pools.delete(key);
        void entry.pool.close().catch(() => undefined);
      }
    }
  }

  /** Number of pools open (for tests and metrics). */
  get size(): number {
    return this.pools.size;
  }

  /** Closes every pool after its in-flight requests finish. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweep);
    const all = [...this.pools.values()];
    for (const e of all) e.closed = true;
    this.pools.clear();
    await Promise.all(all.map((e) => e.pool.close().catch(() => undefined)));
  }
}
