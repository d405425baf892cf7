/**
 * Test helper: a real data plane (startDataPlane) on loopback with the given `plugins` conf, for the
 * end-to-end suites of the plugin and health check areas. Returns the proxy/status URLs and a close
 * that also removes the prefix directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Conf } from '../../config/conf/types.js';
import { startDataPlane, type RunningDataPlane } from '../start-data-plane.js';

/** A started test data plane. */
export interface TestDataPlane {
  dp: RunningDataPlane;
  proxyUrl: string;
  statusUrl: string;
  close(): Promise<void>;
}

const listen = () => ({
  host: '127.0.0.1',
  port: 0,
  ssl: false,
  http2: false,
  proxyProtocol: false,
  reusePort: false,
  backlog: null,
});

/** Starts a data plane listening on loopback ports chosen by the OS. */
export async function startTestDataPlane(plugins: string[]): Promise<TestDataPlane> {
  const prefix = mkdtempSync(join(tmpdir(), 'hg-dp-test-'));
  const conf = {
    role: 'data_plane',
    prefix,
    plugins,
    proxy_listen: [listen()],
    status_listen: [listen()],
    ssl_cert: [],
    ssl_cert_key: [],
    trusted_ips: [],
    real_ip_header: 'X-Real-IP',
    headers: [],
    nginx_http_client_max_body_size: 0,
    upstream_keepalive_pool_size: 16,
    upstream_keepalive_max_requests: 1000,
    upstream_keepalive_idle_timeout: 60,
  } as unknown as Conf;
  let dp: RunningDataPlane;
  try {
    dp = await startDataPlane(conf, pino({ level: 'silent' }));
  } catch (err) {
    rmSync(prefix, { recursive: true, force: true });
    throw err;
  }
  return {
    dp,
    proxyUrl: `http://127.0.0.1:${dp.addresses.proxy[0]!.port}`,
    statusUrl: `http://127.0.0.1:${dp.addresses.status[0]!.port}`,
    async close() {
      await dp.close(1000);
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
