import { resolve } from 'node:path';
import type { E2ECluster } from '../cluster/e2e-cluster.js';
import type { AdminApi } from '../support/admin-api.js';
import type { DiagnosticsScope } from '../support/diagnostics.js';
import type { UpstreamServer } from '../support/upstream-server.js';

/** The repository root (the chart and the samples are read from it). */
export const REPO_ROOT = resolve(import.meta.dirname ?? '.', '../../..');

/** The helm release and its namespace. */
export const RELEASE = 'hybridgate';
export const OPERATOR_NAMESPACE = 'hybridgate-system';

/**
 * The version the upgrade scenario moves a HybridCluster to. The local node runs every tag of the image
 * as the same build; hack/e2e-kind.sh loads the image under this tag too (it reads the same variable).
 */
export const UPGRADE_VERSION = process.env['HG_E2E_UPGRADE_VERSION'] || '0.1.1';

/** One applied sample: its namespace, the HybridCluster's name and what it makes. */
export interface SampleUnderTest {
  /** Path of the sample under the repository. */
  file: string;
  namespace: string;
  /** The HybridCluster's name (= its ControlPlane's name). */
  name: string;
  /** `<cluster>-<group>` for each group, with the sample's replica count. */
  dataPlanes: { name: string; replicas: number }[];
  admin?: AdminApi;
}

/** What the ordered scenarios share: the cluster, the samples and the upstream. */
export interface E2EContext {
  cluster: E2ECluster;
  shared: SampleUnderTest;
  pki: SampleUnderTest;
  upstream?: UpstreamServer;
  /** Set once scenario 1..n completed, so a later one says which earlier step it needs instead of cascading. */
  done: Set<string>;
}

/** Where diagnostics look for this context. */
export function scopeOf(ctx: E2EContext): DiagnosticsScope {
  return { namespaces: [ctx.shared.namespace, ctx.pki.namespace], operatorNamespace: OPERATOR_NAMESPACE };
}

/** Throws a clear error when an earlier scenario this one builds on did not complete. */
export function requireDone(ctx: E2EContext, ...steps: string[]): void {
  const missing = steps.filter((s) => !ctx.done.has(s));
  if (missing.length)
    throw new Error(`not run: needs the earlier scenario(s) ${missing.join(', ')}, which failed`);
}
