#!/usr/bin/env node
// Proxy benchmark (not a test; `make bench` runs it after building dist/).
//   node bench/proxy.mjs                 # builds dist/ if missing, then runs everything (~3 minutes)
//   HG_DIST=/some/dist node bench/proxy.mjs   # use another build output
//   BENCH_ROUNDS=1 BENCH_SECONDS=5 node bench/proxy.mjs   # a quicker, noisier run
//   BENCH_ONLY=router node bench/proxy.mjs                 # only the router's match times
// Method (/work/shared/PERFORMANCE.md): nginx (Debian package, 1 worker, `return 200` with a fixed
// 100-byte body, keep-alive) is the upstream; the cases are the upstream directly, nginx as a reverse
// proxy, the Hybridgate data plane (1 process, and worker_processes = 2), and the data plane with key-auth + rate-limiting when
// those plugins exist. Each case: 2 s warm-up, then `wrk -t1 -c50 -d10s --latency`; cases interleaved
// for 3 rounds; medians and ratios to the nginx proxy of the same round; CPU µs/request of the proxy
// process from /proc/<pid>/stat (utime+stime) over the measured window. Then the router's match time
// for 100 / 1,000 / 10,000 routes. Installs nginx-light and wrk with apt-get when missing (needs root).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = process.env.HG_DIST ? resolve(process.env.HG_DIST) : join(ROOT, 'dist');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim() || 100);
const BODY = 'x'.repeat(99) + '\n';

const importDist = (rel) => import(pathToFileURL(join(DIST, rel)).href);

// ---------- data plane child process ----------
if (process.argv[2] === '--dp-child') {
  const [, , , upstreamPort, withPlugins, workers = '1'] = process.argv;
  const { startDataPlane } = await importDist('runtime/data-plane/start-data-plane.js');
  const { pino } = await import('pino');
  const listen = (port) => ({
    host: '127.0.0.1',
    port,
    ssl: false,
    http2: false,
    proxyProtocol: false,
    reusePort: false,
    backlog: null,
  });
  const conf = {
    role: 'data_plane',
    prefix: mkdtempSync(join(tmpdir(), 'hg-bench-dp-')),
    plugins: ['bundled', 'key-auth', 'rate-limiting'],
    proxy_listen: [listen(0)],
    status_listen: [],
    ssl_cert: [],
    ssl_cert_key: [],
    trusted_ips: [],
    real_ip_header: 'X-Real-IP',
    headers: ['server_tokens', 'latency_tokens'],
    nginx_http_client_max_body_size: 0,
    upstream_keepalive_pool_size: 512,
    upstream_keepalive_max_requests: 100000,
    upstream_keepalive_idle_timeout: 60,
    worker_processes: Number(workers),
  };
  const dp = await startDataPlane(conf, pino({ level: 'warn' }));
  const config = {
    services: [
      {
        id: 'svc-1',
        name: 'bench',
        host: '127.0.0.1',
        port: Number(upstreamPort),
        protocol: 'http',
        retries: 5,
      },
    ],
    routes: [
      {
        id: 'route-1',
        name: 'bench',
        paths: ['/'],
        strip_path: false,
        service: { id: 'svc-1' },
        protocols: ['http', 'https'],
      },
      ...Array.from({ length: 100 }, (_, i) => ({
        id: `extra-${i}`,
        paths: [`/extra/${i}`],
        hosts: [`h${i}.test`],
        service: { id: 'svc-1' },
      })),
    ],
    consumers: [{ id: 'consumer-1', username: 'bench' }],
    keyauth_credentials: [{ id: 'cred-1', key: 'bench-key', consumer: { id: 'consumer-1' } }],
    plugins:
      withPlugins === '1'
        ? [
            {
              id: 'plugin-ka',
              name: 'key-auth',
              config: { key_names: ['apikey'] },
              route: { id: 'route-1' },
            },
            {
              id: 'plugin-rl',
              name: 'rate-limiting',
              config: { second: 10000000, policy: 'local' },
              route: { id: 'route-1' },
            },
          ]
        : [],
  };
  const r = await dp.engine.apply(config);
  if (!r.applied) {
    process.stderr.write(`config rejected: ${r.error?.message}\n`);
    process.exit(2);
  }
  process.stdout.write(`READY ${dp.addresses.proxy[0].port}\n`);
  process.on('SIGTERM', () => void dp.close(1000).then(() => process.exit(0)));
  await new Promise(() => undefined);
}

// ---------- helpers ----------
function ensureTools() {
  const missing = ['nginx', 'wrk'].filter(
    (b) => spawnSync('sh', ['-c', `command -v ${b} || test -x /usr/sbin/${b}`]).status !== 0,
  );
  if (missing.length === 0) return;
  console.log(`installing ${missing.join(', ')} (apt-get)`);
  execFileSync('apt-get', ['install', '-y', 'nginx-light', 'wrk'], { stdio: 'inherit' });
}

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function startNginx(dir, name, serverBlock, upstreamBlock = '') {
  const conf = join(dir, `${name}.conf`);
  writeFileSync(
    conf,
    `worker_processes 1;\ndaemon off;\npid ${dir}/${name}.pid;\nerror_log ${dir}/${name}.error.log warn;\n` +
      `events { worker_connections 4096; }\nhttp {\n  access_log off;\n  keepalive_requests 1000000;\n` +
      `  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;\n` +
      `${upstreamBlock}\n  server {\n${serverBlock}\n  }\n}\n`,
  );
  const nginxBin = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
  const child = spawn(nginxBin, ['-c', conf, '-p', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  return child;
}

async function waitForPort(port, deadlineMs = 10000) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise((res) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), res(true)));
      s.on('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`port ${port} did not open`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function childPids(pid) {
  const r = spawnSync('pgrep', ['-P', String(pid)]);
  return r.stdout.toString().trim().split('\n').filter(Boolean).map(Number);
}

function cpuTicks(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += Number(fields[11]) + Number(fields[12]);
    } catch {
      /* process gone */
    }
  }
  return total;
}

function parseLatency(s) {
  const m = /([\d.]+)(us|ms|s)/.exec(s);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

function wrk(port, seconds, headers = []) {
  const args = ['-t1', '-c50', `-d${seconds}s`, '--latency'];
  for (const h of headers) args.push('-H', h);
  args.push(`http://127.0.0.1:${port}/`);
  const out = spawnSync('wrk', args, { encoding: 'utf8' }).stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const p50 = parseLatency(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
  const p99 = parseLatency(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p50, p99, requests, non2xx };
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)];
};

async function startDp(upstreamPort, withPlugins, workers = 1) {
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(import.meta.url),
      '--dp-child',
      String(upstreamPort),
      withPlugins ? '1' : '0',
      String(workers),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise((res, rej) => {
    let buf = '';
    child.stdout.on('data', (c) => {
      buf += c;
      const m = /READY (\d+)/.exec(buf);
      if (m) res(Number(m[1]));
    });
    child.once('exit', (code) => rej(new Error(`data plane exited with ${code}`)));
  });
  return { child, port };
}

async function routerTimes() {
  const { Router } = await importDist('runtime/data-plane/router/router.js');
  const { syntheticRoutes, syntheticRequests } = await importDist(
    'runtime/data-plane/router/synthetic-routes.js',
  );
  const toReq = (r) => ({
    method: r.method,
    host: r.host,
    path: r.path,
    headers: r.headers,
    sni: undefined,
    scheme: 'http',
  });
  // Two request sets per size: 20,000 requests spread over every route (the whole router is cold in
  // the CPU caches, so this grows with memory, not with the algorithm) and a hot set of 1,000 distinct
  // requests (what real traffic looks like). Sizes are interleaved and the best round is kept.
  const setups = [100, 1000, 10000].map((n) => {
    const { routes, services } = syntheticRoutes(n);
    return {
      n,
      router: new Router(routes, services, { cacheSize: 0 }),
      spread: syntheticRequests(n, 20000).map(toReq),
      hot: syntheticRequests(n, 1000).map(toReq),
      bestSpread: Infinity,
      bestHot: Infinity,
    };
  });
  const time = (router, reqs, times) => {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < times; k++) for (const r of reqs) router.match(r);
    return Number(process.hrtime.bigint() - t0) / (reqs.length * times);
  };
  for (let round = 0; round < 6; round++) {
    for (const s of setups) {
      s.bestSpread = Math.min(s.bestSpread, time(s.router, s.spread, 1));
      s.bestHot = Math.min(s.bestHot, time(s.router, s.hot, 10));
    }
  }
  const uncached = {};
  const hot = {};
  for (const s of setups) {
    uncached[s.n] = s.bestSpread;
    hot[s.n] = s.bestHot;
  }
  const { routes, services } = syntheticRoutes(10000);
  const cachedRouter = new Router(routes, services);
  const reqs = setups[2].hot;
  time(cachedRouter, reqs, 1);
  let cached10k = Infinity;
  for (let round = 0; round < 6; round++) cached10k = Math.min(cached10k, time(cachedRouter, reqs, 10));
  return { uncached, hot, cached10k };
}

// ---------- main ----------
if (!existsSync(join(DIST, 'runtime/data-plane/start-data-plane.js'))) {
  console.log('building dist/ (tsc -p tsconfig.build.json)');
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', DIST], { cwd: ROOT, stdio: 'inherit' });
}
if (process.env.BENCH_ONLY === 'router') {
  const rt = await routerTimes();
  printRouterTimes(rt);
  process.exit(0);
}
ensureTools();
const dir = mkdtempSync(join(tmpdir(), 'hg-bench-'));
const children = [];
const stopAll = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
};
process.on('exit', stopAll);
try {
  const upPort = await freePort();
  const ngxPort = await freePort();
  const upstream = startNginx(
    dir,
    'upstream',
    `    listen 127.0.0.1:${upPort};\n    location / { default_type text/plain; return 200 '${BODY.trimEnd()}\\n'; }`,
  );
  children.push(upstream);
  const nginxProxy = startNginx(
    dir,
    'proxy',
    `    listen 127.0.0.1:${ngxPort};\n    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }`,
    `  upstream up { server 127.0.0.1:${upPort}; keepalive 64; }`,
  );
  children.push(nginxProxy);
  await waitForPort(upPort);
  await waitForPort(ngxPort);
  const dp = await startDp(upPort, false);
  children.push(dp.child);

  // worker_processes = 2: the primary (CP connection, status) plus two proxy workers.
  const dp2 = await startDp(upPort, false, 2);
  children.push(dp2.child);

  const { BUNDLED_HANDLERS } = await importDist('runtime/data-plane/plugins/bundled-handlers.js');
  const pluginsAvailable =
    BUNDLED_HANDLERS['key-auth'] !== undefined && BUNDLED_HANDLERS['rate-limiting'] !== undefined;
  let dpPlugins = null;
  if (pluginsAvailable) {
    dpPlugins = await startDp(upPort, true);
    children.push(dpPlugins.child);
  }

  const cases = [
    { name: 'upstream direct', port: upPort, pids: () => childPids(upstream.pid) },
    { name: 'nginx proxy (1 worker)', port: ngxPort, pids: () => childPids(nginxProxy.pid) },
    { name: 'hybridgate dp (1 process)', port: dp.port, pids: () => [dp.child.pid] },
    {
      name: 'hybridgate dp (2 workers)',
      port: dp2.port,
      pids: () => [dp2.child.pid, ...childPids(dp2.child.pid)],
    },
  ];
  if (dpPlugins !== null) {
    cases.push({
      name: 'hybridgate dp + key-auth + rate-limiting',
      port: dpPlugins.port,
      pids: () => [dpPlugins.child.pid],
      headers: ['apikey: bench-key'],
    });
  }
  const results = new Map(cases.map((c) => [c.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of cases) {
      wrk(c.port, 2, c.headers);
      const pids = c.pids();
      const before = cpuTicks(pids);
      const r = wrk(c.port, SECONDS, c.headers);
      const ticks = cpuTicks(pids) - before;
      r.cpuUsPerReq = ((ticks / CLK_TCK) * 1e6) / r.requests;
      results.get(c.name).push(r);
      console.log(
        `round ${round} ${c.name}: ${r.rps.toFixed(0)} req/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms cpu ${r.cpuUsPerReq.toFixed(1)} µs/req${r.non2xx ? ` non-2xx ${r.non2xx}` : ''}`,
      );
    }
  }
  // Ratios per round against the nginx proxy of the same round, then medians.
  const ref = results.get('nginx proxy (1 worker)');
  console.log(
    '\n| case | req/s (median) | ×nginx-proxy req/s | p50 ms | p99 ms | ×nginx-proxy p99 | CPU µs/req |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const c of cases) {
    const rs = results.get(c.name);
    const ratio = median(rs.map((r, i) => r.rps / ref[i].rps));
    const p99ratio = median(rs.map((r, i) => r.p99 / ref[i].p99));
    console.log(
      `| ${c.name} | ${median(rs.map((r) => r.rps)).toFixed(0)} | ${ratio.toFixed(2)} | ${median(rs.map((r) => r.p50)).toFixed(2)} | ${median(rs.map((r) => r.p99)).toFixed(2)} | ${p99ratio.toFixed(2)} | ${median(rs.map((r) => r.cpuUsPerReq)).toFixed(1)} |`,
    );
  }
  if (!pluginsAvailable)
    console.log('\n(key-auth + rate-limiting case skipped: the bundled handlers are not registered yet)');
  const rt = await routerTimes();
  printRouterTimes(rt);
} finally {
  stopAll();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);

function printRouterTimes(rt) {
  const series = (t) =>
    `100 routes ${t[100].toFixed(0)} ns, 1,000 routes ${t[1000].toFixed(0)} ns, 10,000 routes ${t[10000].toFixed(0)} ns (${(t[10000] / t[100]).toFixed(2)}x)`;
  console.log(`\nrouter match time, no cache, 20,000 requests over all routes: ${series(rt.uncached)}`);
  console.log(`router match time, no cache, hot set of 1,000 requests: ${series(rt.hot)}`);
  console.log(`router match time with the LRU cache (10,000 routes, hot set): ${rt.cached10k.toFixed(0)} ns`);
}
