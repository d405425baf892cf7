import pg from 'pg';
import type { Logger } from '../../../../shared/logger.js';

/**
 * Wakes the store when another control plane (or this one) committed: a dedicated connection that
 * LISTENs on the store's channel, reconnecting with backoff when the database goes away, plus a poll
 * timer as the safety net for notifications lost while disconnected. It only signals; the store reads
 * the change rows itself, so a lost or duplicated signal can never lose or duplicate an event.
 */

/** Options of the feed. */
export interface ChangeFeedOptions {
  config: pg.ClientConfig;
  channel: string;
  /** Poll period in ms (the store default is 2000). */
  pollIntervalMs: number;
  /** Called on a notification, after every (re)connection, and on each poll tick. */
  onSignal: () => void;
  logger?: Logger;
}

const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 2000;

/** The LISTEN connection and the poll timer of one store. */
export class ChangeFeed {
  private client: pg.Client | null = null;
  private connecting = false;
  private closed = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> = Promise.resolve();
  private readonly pollTimer: NodeJS.Timeout;

  constructor(private readonly opts: ChangeFeedOptions) {
    this.pollTimer = setInterval(() => opts.onSignal(), opts.pollIntervalMs);
    this.pollTimer.unref();
    this.inflight = this.connect();
  }

  /** Whether the LISTEN connection is up (tests wait on it). */
  get listening(): boolean {
    return this.client !== null;
  }

  /** The server pid of the LISTEN connection (tests terminate it to simulate a dropped connection). */
  get backendPid(): number | null {
    return (this.client as unknown as { processID?: number } | null)?.processID ?? null;
  }

  private async connect(): Promise<void> {
    if (this.connecting || this.closed) return;
    this.connecting = true;
    const client = new pg.Client(this.opts.config);
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (msg.channel === this.opts.channel) this.opts.onSignal();
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.opts.channel}"`);
    } catch (err) {
      this.connecting = false;
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      if (this.attempt === 0)
        this.opts.logger?.warn({ err: (err as Error).message }, 'change feed cannot listen, retrying');
      this.retry();
      return;
    }
    this.connecting = false;
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    if (this.attempt > 0) this.opts.logger?.info({ attempts: this.attempt }, 'change feed listening again');
    this.attempt = 0;
    this.client = client;
    // Anything committed while not listening is found by reading the log now.
    this.opts.onSignal();
  }

  private lost(client: pg.Client, err?: Error): void {
    if (this.client !== client) return;
    this.client = null;
    client.removeAllListeners('end');
    void client.end().catch(() => undefined);
    if (this.closed) return;
    this.opts.logger?.warn({ err: err?.message ?? 'connection ended' }, 'change feed connection lost');
    this.retry();
  }

  private retry(): void {
    if (this.closed || this.retryTimer) return;
    const delay = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    this.attempt++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.inflight = this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  /** Stops listening and polling. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pollTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.inflight;
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
