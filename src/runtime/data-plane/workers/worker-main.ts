/**
 * The entry module node:cluster runs in each proxy worker of a multi-process data plane
 * (worker_processes > 1); the primary sends everything else over IPC.
 */
import cluster from 'node:cluster';
import { runProxyWorker } from './run-worker.js';

if (cluster.isWorker) runProxyWorker();
else {
  process.stderr.write('worker-main is started by a data plane primary (worker_processes > 1)\n');
  process.exitCode = 2;
}
