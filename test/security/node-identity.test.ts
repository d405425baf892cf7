import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createNodeCertificate,
  createRootCa,
  type IssuedPem,
} from '../../src/runtime/pki/issue-certificates.js';
import { generateSharedClusterCertificate } from '../../src/runtime/pki/shared-cluster-cert.js';
import { createPkiTlsPolicy } from '../../src/runtime/protocol/tls-policy-pki.js';
import { createSharedTlsPolicy } from '../../src/runtime/protocol/tls-policy.js';
import { waitFor } from '../cluster/helpers.js';
import { closeOf, legitDataPlane, startTestClusterCp, type TestClusterCp } from './cluster-harness.js';

/**
 * node_id ownership (node-identity.ts): in pki mode a node_id is bound to the subject of the first
 * certificate that claimed it while its row lives; in shared mode a node_id connected from
 * one address is refused from another until that connection ends. Refusals close with 4008.
 */

let c: TestClusterCp;
const sockets: { terminate(): void }[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await c.close();
});

const refusals = (id: string) =>
  c.lines.filter((l) => l.node_id === id && l.msg === 'data plane node_id refused');

describe('node_id binding, shared mode', () => {
  const pair = generateSharedClusterCertificate({ days: 2 });
  const creds = { cert: pair.certPem, key: pair.keyPem };

  it('refuses a second connection for a connected node_id from another address; the first keeps its row', async () => {
    c = await startTestClusterCp(createSharedTlsPolicy(pair.certPem, pair.keyPem));
    const owner = await legitDataPlane(c.port, { ...creds, localAddress: '127.0.0.1' });
    sockets.push(owner.ws);
    await waitFor(
      () => owner.hashes.length === 1 && c.registry.get(owner.id)?.config_hash === owner.hashes[0],
      'the owner reports its hash',
    );
    const before = structuredClone(c.registry.get(owner.id)!);

    const thief = await legitDataPlane(c.port, { ...creds, localAddress: '127.0.0.2', id: owner.id });
    sockets.push(thief.ws);
    const closed = await closeOf(thief.ws);
    expect(closed?.code).toBe(4008);
    expect(closed?.reason).toMatch(/already connected from 127\.0\.0\.1/);
    expect(thief.hashes).toEqual([]);
    expect(refusals(owner.id)).toHaveLength(1);
    expect(await c.refused('identity_conflict')).toBe(1);
    expect({ ...c.registry.get(owner.id)!, ttl: 0, last_seen: 0, updated_at: 0 }).toEqual({
      ...before,
      ttl: 0,
      last_seen: 0,
      updated_at: 0,
    });
    expect(c.registry.get(owner.id)?.ip).toBe('127.0.0.1');
    expect(owner.ws.readyState).toBe(owner.ws.OPEN);
  });

  it('lets the same node_id reconnect from the same address, and (the documented residual risk) from another once the first is gone', async () => {
    c = await startTestClusterCp(createSharedTlsPolicy(pair.certPem, pair.keyPem));
    const first = await legitDataPlane(c.port, { ...creds, localAddress: '127.0.0.1' });
    sockets.push(first.ws);
    await waitFor(() => first.hashes.length === 1, 'the first connection gets its config');
    // A DP restarting before the CP noticed its old connection is dead: same address, accepted.
    const again = await legitDataPlane(c.port, { ...creds, localAddress: '127.0.0.1', id: first.id });
    sockets.push(again.ws);
    await waitFor(() => again.hashes.length === 1, 'the reconnection gets its config');
    first.ws.close(1000, 'bye');
    again.ws.close(1000, 'bye');
    await Promise.all([closeOf(first.ws), closeOf(again.ws)]);
    await waitFor(() => c.registry.get(first.id)?.status === 'disconnected', 'the row marked disconnected');

    const other = await legitDataPlane(c.port, { ...creds, localAddress: '127.0.0.2', id: first.id });
    sockets.push(other.ws);
    await waitFor(() => other.hashes.length === 1, 'the claim from another address once the id is free');
    expect(c.registry.get(first.id)?.ip).toBe('127.0.0.2');
  });
});

describe('node_id binding, pki mode', () => {
  let root: IssuedPem;
  let cp: IssuedPem;
  let dpA: IssuedPem;
  let dpARenewed: IssuedPem;
  let dpB: IssuedPem;
  beforeAll(() => {
    root = createRootCa({ cn: 'hybridgate test root', keyType: 'ec-p256' });
    const issuer = { certPem: root.certPem, keyPem: root.keyPem };
    cp = createNodeCertificate({
      issuer,
      cn: 'cp.test',
      usage: 'server',
      sans: ['DNS:cp.test'],
      keyType: 'ec-p256',
    });
    dpA = createNodeCertificate({ issuer, cn: 'dp-a', usage: 'client', keyType: 'ec-p256' });
    dpARenewed = createNodeCertificate({ issuer, cn: 'dp-a', usage: 'client', keyType: 'ec-p256' });
    dpB = createNodeCertificate({ issuer, cn: 'dp-b', usage: 'client', keyType: 'ec-p256' });
  });
  const pki = () => createPkiTlsPolicy({ certPem: cp.chainPem, keyPem: cp.keyPem, caPem: root.certPem });
  const as = (p: IssuedPem, id?: string) => ({ cert: p.chainPem, key: p.keyPem, ...(id ? { id } : {}) });

  it('refuses a node_id claimed with another certificate while its row lives, even disconnected', async () => {
    c = await startTestClusterCp(pki());
    const a = await legitDataPlane(c.port, as(dpA));
    sockets.push(a.ws);
    await waitFor(
      () => a.hashes.length === 1 && c.registry.get(a.id)?.config_hash === a.hashes[0],
      'A reports its hash',
    );
    a.ws.close(1000, 'bye');
    await closeOf(a.ws);
    await waitFor(() => c.registry.get(a.id)?.status === 'disconnected', 'A disconnected');
    const before = structuredClone(c.registry.get(a.id)!);

    const b = await legitDataPlane(c.port, as(dpB, a.id));
    sockets.push(b.ws);
    const closed = await closeOf(b.ws);
    expect(closed?.code).toBe(4008);
    expect(closed?.reason).toMatch(/bound to another certificate/);
    expect(refusals(a.id)).toHaveLength(1);
    expect(refusals(a.id)[0]!.reason).toMatch(/CN=dp-a.*presented.*CN=dp-b/);
    expect({ ...c.registry.get(a.id)!, ttl: 0 }).toEqual({ ...before, ttl: 0 });

    // A renewed certificate (new key, same subject) keeps the binding.
    const renewed = await legitDataPlane(c.port, as(dpARenewed, a.id));
    sockets.push(renewed.ws);
    await waitFor(() => renewed.hashes.length === 1, 'the renewed certificate is accepted');
  });

  it('frees the node_id when an administrator removes its row', async () => {
    c = await startTestClusterCp(pki());
    const a = await legitDataPlane(c.port, as(dpA));
    sockets.push(a.ws);
    await waitFor(() => a.hashes.length === 1, 'A gets its config');
    a.ws.close(1000, 'bye');
    await closeOf(a.ws);
    await waitFor(() => c.registry.get(a.id)?.status === 'disconnected', 'A disconnected');
    expect(c.registry.remove(a.id)).toBe(true);

    const b = await legitDataPlane(c.port, as(dpB, a.id));
    sockets.push(b.ws);
    await waitFor(() => b.hashes.length === 1, 'B may take the freed id');
    expect(refusals(a.id)).toEqual([]);
  });
});
