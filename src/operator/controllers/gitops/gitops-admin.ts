import { adminCallFailed, AdminApiError, type AdminTransport } from '../../admin-api/admin-request.js';
import type { ChangedEntity } from '../../gitops/plan.js';

/**
 * The three Admin API calls of the GitOps controller (Hybridgate's own extension of `/config`, see
 * docs/admin-api-extensions.md): export the managed entities, and post the files dry-run then for real.
 */

/** What a selective POST /config answered: what changed (or would), and the managed entities after. */
export interface SelectedAnswer {
  total: { created: number; updated: number; deleted: number; unchanged: number };
  entities: ChangedEntity[];
  /** The managed entities after a real post (absent for a dry run). */
  config?: unknown;
}

/** The CP refused the files (Kong's code 14): its message carries the paths of every problem. */
export interface RefusedAnswer {
  refused: string;
}

const query = (tag: string, dryRun = false) =>
  `/config?select_tags=${encodeURIComponent(tag)}${dryRun ? '&dry_run=1' : ''}`;

/** `GET /config?select_tags`: the managed entities as the CP holds them. Throws AdminApiError. */
export async function exportManaged(admin: AdminTransport, tag: string): Promise<unknown> {
  const path = query(tag);
  const res = await admin.request('GET', path);
  if (res.status !== 200) throw adminCallFailed(admin.base, 'GET', path, res);
  return res.body;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `POST /config?select_tags` (dry run or real). A 400 is the files' fault and comes back as
 * `{ refused }`; anything else unexpected throws AdminApiError (the reconcile is retried).
 */
export async function postManaged(
  admin: AdminTransport,
  tag: string,
  document: Record<string, unknown>,
  dryRun: boolean,
): Promise<SelectedAnswer | RefusedAnswer> {
  const path = query(tag, dryRun);
  const res = await admin.request('POST', path, document);
  const body = res.body;
  if (res.status === 400 && isRecord(body)) {
    return { refused: typeof body['message'] === 'string' ? body['message'] : JSON.stringify(body) };
  }
  if ((res.status !== 200 && res.status !== 201) || !isRecord(body) || !isRecord(body['total'])) {
    throw adminCallFailed(admin.base, 'POST', path, res);
  }
  if (!Array.isArray(body['entities'])) {
    throw new AdminApiError(
      'ADMIN_API_BAD_RESPONSE',
      `POST ${admin.base}${path}: no entities in the answer`,
      {
        url: `${admin.base}${path}`,
      },
    );
  }
  return body as unknown as SelectedAnswer;
}
