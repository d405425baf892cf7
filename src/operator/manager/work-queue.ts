import { ExponentialBackoff } from './backoff.js';

/** Counters a queue reports (wired to prom-client by the manager). */
export interface WorkQueueMetrics {
  depth(n: number): void;
  added(): void;
  retried(): void;
}

const noMetrics: WorkQueueMetrics = { depth: () => {}, added: () => {}, retried: () => {} };

/**
 * A queue of keys (namespace/name), as client-go's workqueue: a key is queued at most once however many
 * events name it, is never handed to two workers at once (an add while it is processed re-queues it
 * when done() is called), and retries are rate limited per key with exponential backoff.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private waiters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;
  private readonly backoff: ExponentialBackoff;
  private readonly metrics: WorkQueueMetrics;

  constructor(opts: { backoff?: ExponentialBackoff; metrics?: WorkQueueMetrics } = {}) {
    this.backoff = opts.backoff ?? new ExponentialBackoff();
    this.metrics = opts.metrics ?? noMetrics;
  }

  /** Queues `key` unless it is already waiting. */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.metrics.added();
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
    this.metrics.depth(this.queue.length);
  }

  /** Queues `key` after `ms`; an earlier pending deadline for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    timer.unref?.();
    this.delayed.set(key, { at, timer });
  }

  /** Queues `key` after its backoff delay (a failed reconcile). */
  addRateLimited(key: string): void {
    this.metrics.retried();
    this.addAfter(key, this.backoff.next(key));
  }

  /** Clears `key`'s failure count (a successful reconcile). */
  forget(key: string): void {
    this.backoff.forget(key);
  }

  /** Failures of `key` since it was last forgotten. */
  retries(key: string): number {
    return this.backoff.retries(key);
  }

  /** The next key to process, or undefined once the queue is shut down. Call done() after. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      this.metrics.depth(this.queue.length);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` processed; if it was added meanwhile it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  /** Keys waiting (not counting delayed or in-process ones). */
  get length(): number {
    return this.queue.length;
  }

  /** Stops handing out keys: pending get() calls resolve undefined, delayed adds are dropped. */
  shutdown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const w of this.waiters) w(undefined);
    this.waiters = [];
  }
}
