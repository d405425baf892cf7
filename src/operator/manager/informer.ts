import type { Logger } from '../../shared/logger.js';
import { errorMessage } from '../../shared/errors.js';
import type { KubeObject } from '../../api/meta.js';
import { WatchExpiredError } from '../errors.js';
import type { KubeClient, WatchEvent } from '../kube/kube-client.js';
import { resourcePath, type ResourceType } from '../kube/resources.js';
import { realClock, type Clock } from './clock.js';
import { objectKey } from './object-key.js';

/** Callbacks for cache changes; a resync calls onUpdate(obj, obj) for every cached object. */
export interface InformerHandler<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

/** Options of an informer. */
export interface InformerOptions {
  client: KubeClient;
  type: ResourceType;
  /** Watch one namespace; all namespaces when unset. */
  namespace?: string;
  labelSelector?: string;
  logger: Logger;
  /** Period of the resync that replays every cached object to the handlers; 0 disables. Default 10 min. */
  resyncMs?: number;
  /** Server-side watch timeout; a random 5-10 min by default, so that many watches do not end together. */
  watchTimeoutSeconds?: number;
  /** Abort a watch that sends nothing (not even a bookmark) for this long. Default: timeout + 30 s. */
  stallTimeoutMs?: number;
  /** Restart backoff after errors: initial and maximum delay. */
  backoffMs?: { initial: number; max: number };
  clock?: Clock;
  /** Objects per list page. */
  pageSize?: number;
}

interface ListPage<T> {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

/**
 * A cache of one resource type kept current by list + watch, as client-go's reflector: the watch
 * starts from the list's resourceVersion; a watch that ends is restarted from the last seen
 * resourceVersion; 410 Gone relists (diffing against the cache so handlers see adds, updates and
 * deletes they missed); any other error restarts after an exponential backoff.
 */
export class Informer<T extends KubeObject = KubeObject> {
  private readonly opts: InformerOptions;
  private readonly cache = new Map<string, T>();
  private readonly handlers: InformerHandler<T>[] = [];
  private readonly clock: Clock;
  private resourceVersion: string | undefined;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(opts: InformerOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger.child({ informer: opts.type.plural, namespace: opts.namespace ?? '' });
  }

  /** The resource type this informer watches. */
  get type(): ResourceType {
    return this.opts.type;
  }

  /** Registers callbacks; objects already cached are replayed as adds. */
  addHandler(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
    if (this.synced) for (const obj of this.cache.values()) this.safe(() => handler.onAdd?.(obj));
  }

  /** The cached object with key `namespace/name`. */
  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  /** Every cached object. */
  list(): T[] {
    return [...this.cache.values()];
  }

  /** True once the first list has filled the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves when the first list has filled the cache. */
  waitForSync(): Promise<void> {
    return this.synced ? Promise.resolve() : new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Starts listing and watching in the background. */
  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
    const resync = this.opts.resyncMs ?? 600_000;
    if (resync > 0) {
      this.resyncTimer = setInterval(() => this.resync(), resync);
      this.resyncTimer.unref?.();
    }
  }

  /** Stops the watch and waits for the loop to end. */
  async stop(): Promise<void> {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.abort?.abort();
    await this.loop;
    this.loop = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const backoff = this.opts.backoffMs ?? { initial: 800, max: 30_000 };
    let delay = backoff.initial;
    let needList = true;
    while (!signal.aborted) {
      const started = this.clock.now();
      try {
        if (needList) {
          await this.relist(signal);
          needList = false;
        }
        await this.watchOnce(signal);
        // A watch that ended on its own is restarted from the last resourceVersion; one that ended at
        // once (a misbehaving proxy) counts as a failure so the loop cannot spin.
        if (this.clock.now() - started < 1000) throw new Error('watch ended immediately');
        delay = backoff.initial;
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof WatchExpiredError) {
          this.log.info({ resourceVersion: this.resourceVersion }, 'watch expired, relisting');
          needList = true;
          continue;
        }
        this.log.warn({ err: errorMessage(err), retryInMs: delay }, 'list/watch failed, retrying');
        await this.clock.sleep(delay, signal);
        delay = Math.min(delay * 2, backoff.max);
      }
    }
  }

  private query(): Record<string, string | number | boolean | undefined> {
    return { labelSelector: this.opts.labelSelector };
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const path = resourcePath(this.opts.type, { namespace: this.opts.namespace });
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv: string | undefined;
    do {
      const page = await this.opts.client.request<ListPage<T>>({
        method: 'GET',
        path,
        query: { ...this.query(), limit: this.opts.pageSize ?? 500, continue: cont },
        signal,
      });
      for (const item of page.items ?? []) {
        // List items carry no apiVersion/kind; watch events do. Fill them so both look alike.
        const obj = { apiVersion: apiVersion(this.opts.type), kind: this.opts.type.kind, ...item } as T;
        fresh.set(objectKey(obj), obj);
      }
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion;
    } while (cont);
    const old = new Map(this.cache);
    this.cache.clear();
    for (const [key, obj] of fresh) this.cache.set(key, obj);
    for (const [key, obj] of fresh) {
      const prev = old.get(key);
      if (!prev) this.emit('add', obj);
      else if (prev.metadata?.resourceVersion !== obj.metadata?.resourceVersion)
        this.emit('update', obj, prev);
    }
    for (const [key, prev] of old) if (!fresh.has(key)) this.emit('delete', prev);
    this.resourceVersion = rv;
    this.log.debug({ objects: fresh.size, resourceVersion: rv }, 'listed');
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private async watchOnce(signal: AbortSignal): Promise<void> {
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
    await this.opts.client.watch<T>(
      resourcePath(this.opts.type, { namespace: this.opts.namespace }),
      { ...this.query(), resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
      (ev) => this.onEvent(ev),
      { signal, stallTimeoutMs: this.opts.stallTimeoutMs ?? (timeoutSeconds + 30) * 1000 },
    );
  }

  private onEvent(ev: WatchEvent<T>): void {
    const rv = ev.object.metadata?.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (rv) this.resourceVersion = rv;
      return;
    }
    const key = objectKey(ev.object);
    const prev = this.cache.get(key);
    if (ev.type === 'DELETED') {
      this.cache.delete(key);
      this.emit('delete', ev.object);
    } else {
      this.cache.set(key, ev.object);
      if (prev) this.emit('update', ev.object, prev);
      else this.emit('add', ev.object);
    }
    if (rv) this.resourceVersion = rv;
  }

  private resync(): void {
    if (!this.synced) return;
    for (const obj of this.cache.values()) this.emit('update', obj, obj);
  }

  private emit(kind: 'add' | 'update' | 'delete', obj: T, prev?: T): void {
    for (const h of this.handlers) {
      this.safe(() => {
        if (kind === 'add') h.onAdd?.(obj);
        else if (kind === 'update') h.onUpdate?.(prev ?? obj, obj);
        else h.onDelete?.(obj);
      });
    }
  }

  // A throwing handler must not break the watch loop or the other handlers.
  private safe(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'informer handler failed');
    }
  }
}

function apiVersion(t: ResourceType): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}
