import type { Logger } from '../../shared/logger.js';
import { errorMessage } from '../../shared/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { TerminalError } from '../errors.js';
import { apiVersionOf } from '../kube/resources.js';
import type { Informer } from './informer.js';
import type { ManagerMetrics } from './metrics.js';
import { objectKey, splitKey } from './object-key.js';
import type { Reconciler } from './reconcile.js';
import { WorkQueue } from './work-queue.js';
import type { ExponentialBackoff } from './backoff.js';

/** How a controller is built. */
export interface ControllerOptions {
  name: string;
  reconciler: Reconciler;
  /** The kind it reconciles; every event on it queues the object's key. */
  primary: Informer;
  /** Kinds it owns; an event on one queues the key of its controlling owner of the primary kind. */
  owns?: Informer[];
  /**
   * Other kinds whose events requeue keys computed from the object (e.g. a DataPlane → the
   * ControlPlane it references), for relations that are not controller owner references.
   */
  watches?: { informer: Informer; map(obj: KubeObject): string[] }[];
  /** Parallel workers (never on the same key); default 1. */
  concurrency?: number;
  metrics: ManagerMetrics;
  logger: Logger;
  /** Per-key retry backoff; controller-runtime's 5 ms → 1000 s by default. */
  backoff?: ExponentialBackoff;
}

/**
 * Informers → key queue → reconcile workers, as controller-runtime: the queue holds keys, not events,
 * so many events on one object make one reconcile. Success forgets the key's backoff; an error retries
 * it rate limited; a TerminalError is logged and not retried.
 */
export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly opts: ControllerOptions;
  private readonly log: Logger;
  private workers: Promise<void>[] = [];
  private abort = new AbortController();

  constructor(opts: ControllerOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.log = opts.logger.child({ controller: opts.name });
    this.queue = new WorkQueue({ backoff: opts.backoff, metrics: opts.metrics.forQueue(opts.name) });
    const enqueue = (obj: KubeObject) => this.queue.add(objectKey(obj));
    opts.primary.addHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
    const primaryApiVersion = apiVersionOf(opts.primary.type);
    const toOwner = (obj: KubeObject) => {
      for (const ref of obj.metadata?.ownerReferences ?? []) {
        if (ref.controller && ref.kind === opts.primary.type.kind && ref.apiVersion === primaryApiVersion) {
          this.queue.add(objectKey({ metadata: { namespace: obj.metadata?.namespace, name: ref.name } }));
        }
      }
    };
    for (const w of opts.watches ?? []) {
      const requeue = (obj: KubeObject) => {
        for (const key of w.map(obj)) this.queue.add(key);
      };
      w.informer.addHandler({
        onAdd: requeue,
        onUpdate: (o, n) => {
          requeue(n);
          if (o !== n) requeue(o);
        },
        onDelete: requeue,
      });
    }
    for (const owned of opts.owns ?? []) {
      owned.addHandler({
        onAdd: toOwner,
        onUpdate: (o, n) => {
          toOwner(n);
          if (o !== n) toOwner(o);
        },
        onDelete: toOwner,
      });
    }
  }

  /** Starts the workers (call after the informers have synced). */
  start(): void {
    if (this.workers.length > 0) return;
    this.abort = new AbortController();
    const n = Math.max(1, this.opts.concurrency ?? 1);
    for (let i = 0; i < n; i++) this.workers.push(this.work());
    this.log.info({ workers: n }, 'controller started');
  }

  /** Stops taking keys, aborts running reconciles' signal and waits for the workers to finish. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.queue.shutdown();
    await Promise.all(this.workers);
    this.workers = [];
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.reconcileKey(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async reconcileKey(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    // Bound as `object`: `key` is a redacted log path (secrets), which would hide it on every line.
    const log = this.log.child({ object: key, namespace, name });
    const m = this.opts.metrics;
    const end = m.reconcileTime.startTimer({ controller: this.name });
    try {
      const result = await this.opts.reconciler.reconcile(
        { namespace, name, key },
        { log, signal: this.abort.signal },
      );
      this.queue.forget(key);
      if (result?.requeueAfterMs !== undefined && result.requeueAfterMs >= 0) {
        this.queue.addAfter(key, result.requeueAfterMs);
        m.reconcileTotal.inc({ controller: this.name, result: 'requeue_after' });
      } else {
        m.reconcileTotal.inc({ controller: this.name, result: 'success' });
      }
    } catch (err) {
      m.reconcileTotal.inc({ controller: this.name, result: 'error' });
      m.reconcileErrors.inc({ controller: this.name });
      if (err instanceof TerminalError) {
        this.queue.forget(key);
        log.error({ err: errorMessage(err), code: err.code }, 'reconcile failed terminally, not retrying');
      } else {
        log.error({ err: errorMessage(err), retries: this.queue.retries(key) }, 'reconcile failed, retrying');
        this.queue.addRateLimited(key);
      }
    } finally {
      end();
    }
  }
}
