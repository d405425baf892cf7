import type { KubeObject } from '../../api/meta.js';
import { OperatorError, isNotFound } from '../errors.js';
import type { KubeClient } from './kube-client.js';
import { resourcePath, resourceTypeOf } from './resources.js';

/** The field manager of every write the operator makes (server-side apply). */
export const FIELD_MANAGER = 'hybridgate-operator';

/** What an apply did: the object did not exist, changed, or already matched (no write happened). */
export type ApplyOutcome = 'created' | 'updated' | 'unchanged';

/** The result of an apply: the outcome and the object as the server now holds it. */
export interface ApplyResult<T extends KubeObject> {
  outcome: ApplyOutcome;
  object: T;
}

/** Options of applyObject. */
export interface ApplyOptions {
  /** The object as last seen (e.g. from an informer cache); saves a GET when given. null = known absent. */
  current?: KubeObject | null;
  fieldManager?: string;
}

/**
 * Server-side applies `desired` (fieldManager hybridgate-operator, force) and reports created /
 * updated / unchanged by comparing resourceVersion before and after: the API server does not bump it
 * for an apply that changes nothing, so steady state makes no writes. Fields owned by other managers
 * (e.g. replicas set by an HPA) stay theirs as long as `desired` does not name them.
 */
export async function applyObject<T extends KubeObject>(
  client: KubeClient,
  desired: T,
  opts: ApplyOptions = {},
): Promise<ApplyResult<T>> {
  const type = resourceTypeOf(desired.apiVersion, desired.kind);
  const name = desired.metadata?.name;
  const namespace = desired.metadata?.namespace;
  if (!type) {
    throw new OperatorError(
      'APPLY_UNKNOWN_KIND',
      `apply: unknown kind ${desired.apiVersion}/${desired.kind}`,
      {
        apiVersion: desired.apiVersion,
        kind: desired.kind,
      },
    );
  }
  if (!name || (type.namespaced && !namespace)) {
    throw new OperatorError(
      'APPLY_MISSING_NAME',
      `apply ${desired.kind}: metadata.name${type.namespaced ? ' and metadata.namespace are' : ' is'} required`,
      {
        kind: desired.kind,
        name,
        namespace,
      },
    );
  }
  const path = resourcePath(type, { namespace, name });
  let before: string | undefined;
  if (opts.current !== undefined) {
    before = opts.current?.metadata?.resourceVersion;
  } else {
    try {
      before = (await client.request<KubeObject>({ method: 'GET', path })).metadata?.resourceVersion;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  const object = await client.request<T>({
    method: 'PATCH',
    path,
    query: { fieldManager: opts.fieldManager ?? FIELD_MANAGER, force: true },
    body: desired,
    contentType: 'application/apply-patch+yaml',
  });
  const after = object.metadata?.resourceVersion;
  const outcome: ApplyOutcome = before === undefined ? 'created' : before === after ? 'unchanged' : 'updated';
  return { outcome, object };
}
