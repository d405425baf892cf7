import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../envtest/binaries.js';
import { Helm } from './helm.js';

// config/rbac is the operator's least-privilege RBAC, checked against the calls the code makes by the
// envtest suites (the operator runs there with only those rules). The chart must grant exactly the same.

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** One `group/resource: verb` line per permission, sorted: equal sets regardless of how rules are grouped. */
function permissions(rules: Rule[]): string[] {
  const out = new Set<string>();
  for (const r of rules)
    for (const g of r.apiGroups)
      for (const res of r.resources) for (const v of r.verbs) out.add(`${g}/${res}: ${v}`);
  return [...out].sort();
}

async function configRules(file: string): Promise<Rule[]> {
  return (parse(await readFile(join(REPO_ROOT, 'config/rbac', file), 'utf8')) as { rules: Rule[] }).rules;
}

let helm: Helm;
beforeAll(async () => {
  helm = await Helm.create();
});
afterAll(async () => {
  await helm?.cleanup();
});

describe('chart RBAC equals config/rbac', () => {
  it("the ClusterRole grants exactly config/rbac/role.yaml's permissions", async () => {
    const role = (await helm.template()).get<{ rules: Rule[] }>('ClusterRole');
    const want = await configRules('role.yaml');
    expect(permissions(role.rules)).toEqual(permissions(want));
    // Same grouping too, so a diff between the two files reads line for line.
    expect(role.rules).toEqual(want);
  });

  it('with watchNamespace, the Role grants the same permissions in that namespace', async () => {
    const role = (await helm.template({ watchNamespace: 'gateways' })).get<{ rules: Rule[] }>(
      'Role',
      'hg-hybridgate',
    );
    expect(permissions(role.rules)).toEqual(permissions(await configRules('role.yaml')));
  });

  it("the leader-election Role grants exactly config/rbac/leader_election_role.yaml's permissions", async () => {
    const role = (await helm.template()).get<{ rules: Rule[] }>('Role', 'hg-hybridgate-leader-election');
    expect(permissions(role.rules)).toEqual(permissions(await configRules('leader_election_role.yaml')));
  });

  it('grants no wildcard, no update on owned kinds, nothing on namespaces or nodes, pods read-only', async () => {
    const rules = (await helm.template()).get<{ rules: Rule[] }>('ClusterRole').rules;
    const perms = permissions(rules);
    expect(perms.filter((p) => p.includes('*'))).toEqual([]);
    // Writes are server-side apply (patch); update only on the finalizers subresources.
    expect(perms.filter((p) => p.endsWith(': update') && !p.includes('/finalizers'))).toEqual([]);
    expect(perms.filter((p) => /\/(namespaces|nodes)(\/|:)/.test(p))).toEqual([]);
    // Pods are read for fleet status (a DP whose pod is gone leaves the status); never written.
    expect(perms.filter((p) => /\/pods(\/|:)/.test(p) && !/: (get|list|watch)$/.test(p))).toEqual([]);
  });
});
