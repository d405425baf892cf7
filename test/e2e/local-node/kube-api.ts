import { Agent, request } from 'undici';

/** A failed call to the apiserver: method, path, HTTP status and the Status reason/message it returned. */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(method: string, path: string, status: number, reason: string, message: string) {
    super(`kube api ${method} ${path}: ${status} ${reason}: ${message}`);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
  }
}

/** A Kubernetes object as the local node handles it (plain JSON; only what it reads is typed). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** One event of a watch stream. */
export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: T;
}

/**
 * The few REST calls the local node makes, with the admin token over the cluster CA. A hand-written
 * client rather than @kubernetes/client-node: the node needs raw list+watch with its own reconnects
 * and merge patches on subresources, which are one line each here.
 */
export class KubeApi {
  private readonly agent: Agent;
  constructor(
    readonly server: string,
    caPem: string,
    private readonly token: string,
  ) {
    this.agent = new Agent({ connect: { ca: caPem }, keepAliveTimeout: 10_000 });
  }

  /** Sends one request; resolves with the parsed body, throws KubeApiError on a non-2xx status. */
  async call<T = KubeObject>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const res = await request(`${this.server}${path}`, {
      method,
      dispatcher: this.agent,
      headers: {
        authorization: `Bearer ${this.token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': contentType }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) {
      let reason = 'Unknown';
      let message = text.slice(0, 500);
      try {
        const status = JSON.parse(text) as { reason?: string; message?: string };
        reason = status.reason ?? reason;
        message = status.message ?? message;
      } catch {
        // not a Status object: keep the raw text
      }
      throw new KubeApiError(method, path, res.statusCode, reason, message);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** GET, or undefined on 404. */
  async getOrUndefined<T = KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.call<T>('GET', path);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** A JSON merge patch (RFC 7386): lists in the patch replace the stored ones whole. */
  mergePatch<T = KubeObject>(path: string, patch: unknown): Promise<T> {
    return this.call<T>('PATCH', path, patch, 'application/merge-patch+json');
  }

  /**
   * Lists `path` (handing the whole list to `onList`, so the caller can also forget what is gone), then
   * watches it from the list's resourceVersion, calling `onEvent` per change. Reconnects when the
   * stream ends and relists on an expired version, until `signal` aborts; errors go to `onError`.
   */
  async listWatch<T extends KubeObject>(
    path: string,
    handlers: {
      onList: (items: T[]) => void | Promise<void>;
      onEvent: (ev: WatchEvent<T>) => void | Promise<void>;
    },
    signal: AbortSignal,
    onError: (err: unknown) => void,
  ): Promise<void> {
    const sep = path.includes('?') ? '&' : '?';
    while (!signal.aborted) {
      try {
        const list = await this.call<{ metadata: { resourceVersion: string }; items: T[] }>('GET', path);
        await handlers.onList(list.items);
        let rv = list.metadata.resourceVersion;
        for (;;) {
          if (signal.aborted) return;
          const res = await request(
            `${this.server}${path}${sep}watch=1&allowWatchBookmarks=true&resourceVersion=${rv}&timeoutSeconds=240`,
            {
              dispatcher: this.agent,
              headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' },
              signal,
              bodyTimeout: 0,
            },
          );
          if (res.statusCode !== 200) {
            await res.body.text();
            throw new KubeApiError('WATCH', path, res.statusCode, 'WatchFailed', 'watch refused');
          }
          let buffered = '';
          let gone = false;
          for await (const chunk of res.body) {
            buffered += (chunk as Buffer).toString('utf8');
            let nl: number;
            while ((nl = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, nl);
              buffered = buffered.slice(nl + 1);
              if (!line.trim()) continue;
              const ev = JSON.parse(line) as { type: string; object: T & { code?: number } };
              if (ev.type === 'ERROR') {
                gone = true; // 410 Gone or another expiry: relist
                break;
              }
              rv = ev.object.metadata.resourceVersion ?? rv;
              if (ev.type === 'BOOKMARK') continue;
              await handlers.onEvent({ type: ev.type as WatchEvent['type'], object: ev.object });
            }
            if (gone) break;
          }
          if (gone) {
            res.body.destroy();
            break;
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        onError(err);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.agent.close();
  }
}
