import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../envtest/binaries.js';
import { ip, PodNetwork } from './pod-network.js';

const run = promisify(execFile);
const SCRIPT = join(REPO_ROOT, 'hack/e2e-cleanup.sh');

// hack/e2e-cleanup.sh against a fabricated crashed run (owner dead) and a live one (owner: this
// process); --run keeps it away from any other run on the machine.
describe('hack/e2e-cleanup.sh', () => {
  const made: { net: PodNetwork; dir: string }[] = [];
  const procs: ChildProcess[] = [];
  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const m of made) {
      await m.net.destroy();
      await rm(m.dir, { recursive: true, force: true });
    }
  });

  async function fakeRun(owner: number) {
    const id = randomBytes(2).toString('hex');
    const net = await PodNetwork.create(id);
    const pod = await net.addPod('default/p/uid');
    const dir = await mkdtemp(join(tmpdir(), `hg-e2e-${id}-`));
    await writeFile(join(dir, 'owner.pid'), String(owner));
    await mkdir(join(dir, 'work'));
    made.push({ net, dir });
    return { id, net, pod, dir };
  }

  it('removes a dead run (process, netns, links, directory) and leaves a live one alone', async () => {
    const deadOwner = spawnSync('true').pid;
    const dead = await fakeRun(deadOwner);
    const live = await fakeRun(process.pid);
    const proc = spawn('sleep', ['600'], { cwd: join(dead.dir, 'work'), stdio: 'ignore' });
    procs.push(proc);
    const exited = once(proc, 'exit');

    await run(SCRIPT, ['--run', dead.id]);
    await run(SCRIPT, ['--run', live.id]);

    const [, signal] = (await exited) as [number | null, string | null];
    expect(signal).toBe('SIGKILL');
    const netns = await ip(['netns', 'list']);
    const links = await ip(['-o', 'link']);
    expect(netns).not.toContain(dead.pod.netns);
    expect(links).not.toContain(dead.net.bridge);
    expect(links).not.toContain(dead.pod.hostVeth);
    expect(existsSync(dead.dir)).toBe(false);
    expect(netns).toContain(live.pod.netns);
    expect(links).toContain(live.net.bridge);
    expect(existsSync(live.dir)).toBe(true);
  });

  it('refuses a malformed run id', async () => {
    await expect(run(SCRIPT, ['--run', 'nothex'])).rejects.toMatchObject({ code: 2 });
  });
});
