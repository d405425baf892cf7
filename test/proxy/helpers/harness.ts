import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { createBalancer } from '../../../src/runtime/data-plane/balancer/create-balancer.js';
import type { TargetEntity } from '../../../src/runtime/data-plane/balancer/balancer.js';
import {
  createDataPlaneEngine,
  type DataPlaneEngine,
} from '../../../src/runtime/data-plane/engine/create-data-plane-engine.js';
import type { DataPlaneConfig } from '../../../src/runtime/data-plane/engine/types.js';
import type { PluginRunner } from '../../../src/runtime/data-plane/proxy/plugin-hooks.js';
import {
  proxyOptionsFromConf,
  type ProxyOptions,
} from '../../../src/runtime/data-plane/proxy/proxy-options.js';
import { startProxyServer, type ProxyServer } from '../../../src/runtime/data-plane/proxy/proxy-server.js';

/** What an echo upstream saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A loopback upstream that answers JSON describing the request, unless `handler` says otherwise. */
export interface TestUpstream {
  port: number;
  seen: SeenRequest[];
  server: http.Server;
  close(): Promise<void>;
}

/** Starts an upstream on 127.0.0.1:0. `handler` returning true means it answered itself. */
export async function startUpstream(
  name = 'up',
  handler?: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => boolean,
): Promise<TestUpstream> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (handler?.(req, res, body) === true) return;
      const out = JSON.stringify({ upstream: name, url: req.url, headers: req.headers, body });
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-upstream': name,
        connection: 'keep-alive',
      });
      res.end(out);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A proxy with its engine, on an ephemeral loopback port. */
export interface TestProxy {
  engine: DataPlaneEngine;
  server: ProxyServer;
  url: string;
  httpsPort: number | null;
  agent: Agent;
  /** GET/POST through the proxy with a keep-alive client. */
  fetch(
    path: string,
    init?: { method?: string; headers?: Record<string, string>; body?: string | Buffer },
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string; json: () => unknown }>;
  close(): Promise<void>;
}

/** Starts a proxy (plain, plus TLS when a default certificate is given) and applies `config` if set. */
export async function startProxy(opts: {
  config?: DataPlaneConfig;
  options?: Partial<ProxyOptions>;
  defaultCertificate?: { cert: string; key: string };
  plugins?: PluginRunner;
  buildPlugins?: (config: DataPlaneConfig) => unknown;
}): Promise<TestProxy> {
  const logger = pino({ level: 'silent' });
  // The balancer area's real balancer, as startDataPlane wires it.
  const engine = createDataPlaneEngine({
    logger,
    buildPlugins: opts.buildPlugins,
    createBalancer: (upstream, targets) => createBalancer(upstream, targets as TargetEntity[]),
  });
  if (opts.config !== undefined) {
    const r = await engine.apply(opts.config);
    if (!r.applied) throw new Error(`config not applied: ${r.error?.message}`);
  }
  const listen = [
    {
      host: '127.0.0.1',
      port: 0,
      ssl: false,
      http2: false,
      proxyProtocol: false,
      reusePort: false,
      backlog: null,
    },
  ];
  if (opts.defaultCertificate !== undefined) listen.push({ ...listen[0]!, ssl: true });
  const server = await startProxyServer({
    engine,
    listen,
    options: { ...proxyOptionsFromConf({}), ...opts.options },
    defaultCertificate: opts.defaultCertificate ?? null,
    recorder: null,
    plugins: opts.plugins ?? null,
    logger,
  });
  const plain = server.addresses.find((a) => !a.ssl)!;
  const agent = new Agent({ connections: 16 });
  const url = `http://127.0.0.1:${plain.port}`;
  return {
    engine,
    server,
    url,
    httpsPort: server.addresses.find((a) => a.ssl)?.port ?? null,
    agent,
    async fetch(path, init = {}) {
      const r = await request(url + path, {
        method: (init.method ?? 'GET') as 'GET',
        headers: init.headers,
        body: init.body,
        dispatcher: agent,
      });
      const text = await r.body.text();
      return {
        status: r.statusCode,
        headers: r.headers as http.IncomingHttpHeaders,
        text,
        json: () => JSON.parse(text),
      };
    },
    async close() {
      await agent.close();
      await server.close(2000);
      engine.close();
    },
  };
}

/** A one-service, one-route config pointing at 127.0.0.1:`port`. */
export function simpleConfig(
  port: number,
  route: Record<string, unknown> = {},
  service: Record<string, unknown> = {},
): DataPlaneConfig {
  return {
    services: [{ id: 's1', name: 'svc', host: '127.0.0.1', port, protocol: 'http', retries: 5, ...service }],
    routes: [{ id: 'r1', name: 'route', paths: ['/'], strip_path: false, service: { id: 's1' }, ...route }],
  };
}
