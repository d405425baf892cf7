import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../../api/meta.js';
import { OperatorError } from '../errors.js';
import type { KubeClient } from './kube-client.js';
import { FIELD_MANAGER } from './apply.js';
import { resourcePath, resourceTypeOf } from './resources.js';

/** Whether a status write happened. */
export type StatusOutcome = 'updated' | 'unchanged';

/**
 * Writes `status` through the status subresource, only when it differs from `current.status` (so a
 * reconcile that finds nothing new makes no write and triggers no watch event). Server-side apply with
 * the operator's field manager: fields it stops setting are removed, other managers' fields are kept.
 */
export async function writeStatus<T extends KubeObject>(
  client: KubeClient,
  current: T,
  status: Record<string, unknown>,
  opts: StatusOptions = {},
): Promise<{ outcome: StatusOutcome; object: T }> {
  const have = (current['status'] ?? {}) as Record<string, unknown>;
  const same = opts.partial
    ? ownedPartEqual(have, status)
    : isDeepStrictEqual(stripUndefined(have), stripUndefined(status));
  if (same) return { outcome: 'unchanged', object: current };
  const type = resourceTypeOf(current.apiVersion, current.kind);
  const { name, namespace } = current.metadata ?? {};
  if (!type || !name) {
    throw new OperatorError(
      'STATUS_UNKNOWN_OBJECT',
      `status: cannot address ${current.apiVersion}/${current.kind} ${name ?? '(no name)'}`,
      {
        kind: current.kind,
        name,
      },
    );
  }
  const object = await client.request<T>({
    method: 'PATCH',
    path: resourcePath(type, { namespace, name, subresource: 'status' }),
    query: { fieldManager: opts.fieldManager ?? FIELD_MANAGER, force: true },
    body: { apiVersion: current.apiVersion, kind: current.kind, metadata: { name, namespace }, status },
    contentType: 'application/apply-patch+yaml',
  });
  return { outcome: 'updated', object };
}

/** Options of writeStatus. */
export interface StatusOptions {
  /**
   * The status has parts another field manager writes (e.g. DataPlane nodes and Synced/Compatible,
   * operator part 2): compare only the keys given, and only the condition types given.
   */
  partial?: boolean;
  /** Field manager of the write; two writers of one status need two managers (SSA owns per manager). */
  fieldManager?: string;
}

function ownedPartEqual(have: Record<string, unknown>, want: Record<string, unknown>): boolean {
  for (const [key, value] of Object.entries(stripUndefined(want) as Record<string, unknown>)) {
    if (key === 'conditions') {
      const mine = new Set((value as { type: string }[]).map((c) => c.type));
      const theirs = ((have['conditions'] ?? []) as { type: string }[]).filter((c) => mine.has(c.type));
      if (!isDeepStrictEqual(stripUndefined(theirs), value)) return false;
    } else if (!isDeepStrictEqual(stripUndefined(have[key]), value)) return false;
  }
  return true;
}

// JSON round-trip drops undefined members, which the server never returns either.
function stripUndefined(value: unknown): unknown {
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
}
