import { Agent, request, errors as undiciErrors } from 'undici';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, KubeTransportError, WatchExpiredError } from '../errors.js';

/** One REST call against the API server. */
export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Sent as JSON (also for apply patches: JSON is YAML). */
  body?: unknown;
  /** Defaults to application/json. */
  contentType?: string;
  signal?: AbortSignal;
}

/** One event of a watch stream (BOOKMARK objects carry only metadata.resourceVersion). */
export interface WatchEvent<T = Record<string, unknown>> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: T;
}

/** Options of a watch call. */
export interface WatchOptions {
  signal?: AbortSignal;
  /** Abort when no byte arrives for this long (a silently stalled connection); default 5 min + 30 s. */
  stallTimeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The operator's REST client: credentials and TLS come from a client-node KubeConfig (token, client
 * certificate, exec plugins), transport is undici. Objects travel as plain JSON, exactly as the API
 * server sends them, which the generic informer, apply and status code need (client-node's typed
 * models drop fields they do not know and turn timestamps into Dates).
 */
export class KubeClient {
  private readonly kc: KubeConfig;
  private readonly server: string;
  private agent: { key: string; agent: Agent } | undefined;

  private constructor(kc: KubeConfig, server: string) {
    this.kc = kc;
    this.server = server.replace(/\/+$/, '');
  }

  /** A client for the kubeconfig's current context. */
  static fromKubeConfig(kc: KubeConfig): KubeClient {
    const cluster = kc.getCurrentCluster();
    if (!cluster)
      throw new KubeTransportError('GET', '/', new Error('the kubeconfig has no current cluster'));
    return new KubeClient(kc, cluster.server);
  }

  /** Sends one request and returns the parsed JSON body; non-2xx answers throw KubeApiError. */
  async request<T>(req: KubeRequest): Promise<T> {
    const { url, init } = await this.prepare(req);
    let res;
    try {
      res = await request(url, init);
    } catch (err) {
      throw new KubeTransportError(req.method, req.path, err);
    }
    const text = await res.body.text().catch((err: unknown) => {
      throw new KubeTransportError(req.method, req.path, err);
    });
    const parsed = text ? safeJson(text) : undefined;
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw new KubeApiError(req.method, req.path, res.statusCode, parsed as never);
    }
    return parsed as T;
  }

  /**
   * Streams a watch: calls `onEvent` for each event and resolves when the server ends the stream
   * (timeoutSeconds elapsed) or `signal` aborts. Rejects with WatchExpiredError on 410 Gone (the
   * caller must relist), KubeApiError on other API errors, KubeTransportError on a broken or stalled
   * connection.
   */
  async watch<T>(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (ev: WatchEvent<T>) => void,
    opts: WatchOptions = {},
  ): Promise<void> {
    const req: KubeRequest = { method: 'GET', path, query: { ...query, watch: true }, signal: opts.signal };
    const { url, init } = await this.prepare(req, opts.stallTimeoutMs ?? 330_000);
    let res;
    try {
      res = await request(url, init);
    } catch (err) {
      if (opts.signal?.aborted) return;
      throw new KubeTransportError('WATCH', path, err);
    }
    if (res.statusCode !== 200) {
      const text = await res.body.text().catch(() => '');
      const status = safeJson(text) as { code?: number; message?: string } | undefined;
      if (res.statusCode === 410) throw new WatchExpiredError(path, status?.message ?? 'Gone');
      throw new KubeApiError('WATCH', path, res.statusCode, status as never);
    }
    let buffered = '';
    try {
      for await (const chunk of res.body) {
        buffered += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) this.dispatch<T>(path, line, onEvent);
        }
      }
    } catch (err) {
      if (opts.signal?.aborted) return;
      if (err instanceof WatchExpiredError || err instanceof KubeApiError) throw err;
      const stalled = err instanceof undiciErrors.BodyTimeoutError;
      throw new KubeTransportError('WATCH', path, stalled ? new Error('watch stalled (no data)') : err);
    }
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await this.agent?.agent.close();
    this.agent = undefined;
  }

  private dispatch<T>(path: string, line: string, onEvent: (ev: WatchEvent<T>) => void): void {
    const ev = safeJson(line) as { type?: string; object?: Record<string, unknown> } | undefined;
    if (!ev?.type || !ev.object)
      throw new KubeTransportError('WATCH', path, new Error(`bad watch line: ${line.slice(0, 200)}`));
    if (ev.type === 'ERROR') {
      const status = ev.object as { code?: number; reason?: string; message?: string };
      if (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone') {
        throw new WatchExpiredError(path, status.message ?? 'Gone');
      }
      throw new KubeApiError('WATCH', path, status.code ?? 500, status);
    }
    onEvent({ type: ev.type as WatchEvent['type'], object: ev.object as T });
  }

  private async prepare(req: KubeRequest, bodyTimeout = DEFAULT_TIMEOUT_MS) {
    // Called per request so that exec/OIDC credentials refresh; the TLS agent is reused while the
    // TLS material stays the same.
    const opts: {
      headers: Record<string, string>;
      ca?: unknown;
      cert?: unknown;
      key?: unknown;
      rejectUnauthorized?: boolean;
      servername?: string;
    } = { headers: {} };
    await this.kc.applyToHTTPSOptions(opts as never);
    const tls = {
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
      rejectUnauthorized: opts.rejectUnauthorized,
      servername: opts.servername,
    };
    const key = JSON.stringify(tls, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('base64') : v));
    if (this.agent?.key !== key) {
      const old = this.agent?.agent;
      this.agent = { key, agent: new Agent({ connect: tls as never, pipelining: 1 }) };
      void old?.close();
    }
    const url = new URL(this.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { ...opts.headers, accept: 'application/json' };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = req.contentType ?? 'application/json';
    }
    return {
      url,
      init: {
        method: req.method,
        headers,
        body,
        signal: req.signal,
        dispatcher: this.agent.agent,
        headersTimeout: DEFAULT_TIMEOUT_MS,
        bodyTimeout,
      },
    };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
