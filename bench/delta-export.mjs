#!/usr/bin/env node
// The CP's export step alone (not a test): for a store of N entities (1% services, 10% routes, the
// rest consumers with one key-auth credential each), the CPU time to bring the export for DPs and its
// hashes to the next version after a one-route change and after a one-consumer change:
//   - full: a store snapshot, exportForDataPlanes and the whole config hash (what every version cost
//     before the export followed the change events);
//   - incremental: createStoreSources' current() after the change (DataPlaneExport.apply: the touched
//     family re-listed and re-hashed over cached entity texts).
// Medians over HG_BENCH_ROUNDS changes, in this one process (no DPs, no network).
//   make build && node bench/delta-export.mjs
//   HG_BENCH_SIZES=1000,10000,100000 HG_BENCH_DIST=/tmp/other-build/dist node bench/delta-export.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = resolve(process.env.HG_BENCH_DIST || join(ROOT, 'dist'));
const SIZES = (process.env.HG_BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const ROUNDS = Number(process.env.HG_BENCH_ROUNDS ?? 10);
const load = (p) => import(pathToFileURL(join(DIST, p)).href);
const { openLmdbStore } = await load('runtime/control-plane/store/lmdb-store.js');
const { createStoreSources } = await load('runtime/control-plane/sync/v2/delta-source.js');
const { ENTITY_DEFINITIONS } = await load('runtime/config/entities/index.js');
const { validateEntity } = await load('runtime/config/entities/validate.js');
const { exportForDataPlanes } = await load('runtime/node/config-export.js');

const uuid = (kind, i) => `00000000-0000-4000-8${kind}00-${String(i).padStart(12, '0')}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpu = async (fn) => {
  const u0 = process.cpuUsage();
  const value = await fn();
  const u = process.cpuUsage(u0);
  return { ms: (u.user + u.system) / 1000, value };
};

async function run(n) {
  const dir = mkdtempSync(join(tmpdir(), 'hg-bench-export-'));
  const store = await openLmdbStore({
    path: join(dir, 'store'),
    mapSize: 8 * 1024 ** 3,
    definitions: ENTITY_DEFINITIONS,
  });
  const services = Math.max(1, Math.floor(n / 100));
  const routes = Math.max(1, Math.floor(n / 10));
  const consumers = Math.max(1, Math.floor((n - services - routes) / 2));
  const all = [];
  for (let i = 0; i < services; i++)
    all.push(['services', { id: uuid(1, i), name: `s${i}`, host: 'upstream' }]);
  for (let i = 0; i < routes; i++)
    all.push(['routes', { id: uuid(2, i), paths: [`/r${i}`], service: { id: uuid(1, i % services) } }]);
  for (let i = 0; i < consumers; i++) all.push(['consumers', { id: uuid(3, i), username: `c${i}` }]);
  for (let i = 0; i < consumers; i++)
    all.push(['keyauth_credentials', { id: uuid(4, i), key: `k${i}`, consumer: { id: uuid(3, i) } }]);
  for (let i = 0; i < all.length; i += 2000)
    await store.transaction(async (tx) => {
      for (const [f, e] of all.slice(i, i + 2000)) await tx.insert(f, validateEntity(f, e));
    });
  const sources = createStoreSources(store);
  const initial = await cpu(() => sources.delta.current());
  const out = { n, initial_export_ms: Math.round(initial.ms) };
  for (const kind of ['route', 'consumer']) {
    const full = [];
    const inc = [];
    for (let r = 0; r < ROUNDS; r++) {
      await store.transaction(async (tx) => {
        if (kind === 'route') {
          const e = await tx.get('routes', uuid(2, r % routes));
          await tx.update('routes', { ...e, paths: [`/r${r}`, `/x${r}`] });
        } else {
          const e = await tx.get('consumers', uuid(3, r % consumers));
          await tx.update('consumers', { ...e, custom_id: `x${r}` });
        }
      });
      const a = await cpu(() => sources.delta.current());
      const b = await cpu(async () => exportForDataPlanes(await store.snapshot()));
      if (a.value.hashes.config !== b.value.hashes.config)
        throw new Error('incremental and full exports differ');
      inc.push(a.ms);
      full.push(b.ms);
    }
    out[`${kind}_full_ms`] = +median(full).toFixed(1);
    out[`${kind}_incremental_ms`] = +median(inc).toFixed(2);
  }
  out.full_exports = sources.stats.full;
  sources.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return out;
}

const rows = [];
for (const n of SIZES) {
  rows.push(await run(n));
  console.log(JSON.stringify(rows.at(-1)));
}
const cols = Object.keys(rows[0]);
console.log(`\n| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${cols.map((c) => r[c]).join(' | ')} |`);
