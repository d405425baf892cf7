import { Agent, request, type Dispatcher } from 'undici';
import { errorMessage } from '../../shared/errors.js';
import { OperatorError } from '../errors.js';

/**
 * How the operator reaches one control plane's Admin API: its URL and, when the operator turned them
 * on for that ControlPlane, the bearer token and the CA that signed the Admin API's TLS certificate.
 */
export interface AdminEndpoint {
  /** `http(s)://host:port`, no trailing slash needed. */
  url: string;
  /** Sent as `Authorization: Bearer <token>` (admin_auth = token). */
  token?: string;
  /** PEM CA bundle trusted for an https URL; unset: the system's roots. */
  ca?: string;
  /** TLS server name to verify when it differs from the URL's host (e.g. the Service's DNS name). */
  serverName?: string;
}

/** The Admin API answered badly or could not be reached; `context` names the URL and what was wrong. */
export class AdminApiError extends OperatorError {}

/** One Admin API answer: the status and the parsed JSON body (null when empty). */
export interface AdminResponse {
  status: number;
  body: unknown;
}

/** A function that makes one Admin API call; every client (fleet status, GitOps) goes through one. */
export type AdminRequest = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
) => Promise<AdminResponse>;

/** A transport bound to one endpoint; `close()` releases its connections. */
export interface AdminTransport {
  request: AdminRequest;
  /** The base URL, for error messages. */
  base: string;
  close(): Promise<void>;
}

/**
 * An Admin API transport over undici: JSON in and out, a bounded time per call so an unreachable CP
 * cannot stall a controller, the token and CA of the endpoint applied to every call.
 */
export function adminTransport(endpoint: AdminEndpoint, opts: { timeoutMs?: number } = {}): AdminTransport {
  const base = endpoint.url.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 5000;
  const dispatcher: Dispatcher = new Agent({
    connect: {
      timeout: timeoutMs,
      ...(endpoint.ca ? { ca: endpoint.ca } : {}),
      ...(endpoint.serverName ? { servername: endpoint.serverName } : {}),
    },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const headers: Record<string, string> = { accept: 'application/json' };
  if (endpoint.token) headers['authorization'] = `Bearer ${endpoint.token}`;

  const call: AdminRequest = async (method, path, body) => {
    const url = `${base}${path}`;
    let status: number;
    let text: string;
    try {
      const res = await request(url, {
        method,
        dispatcher,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      throw new AdminApiError(
        'ADMIN_API_UNREACHABLE',
        `${method} ${url}: ${errorMessage(err)}`,
        { url, method },
        { cause: err },
      );
    }
    if (!text) return { status, body: null };
    try {
      return { status, body: JSON.parse(text) };
    } catch {
      throw new AdminApiError(
        'ADMIN_API_BAD_RESPONSE',
        `${method} ${url}: answered ${status} with a body that is not JSON`,
        { url, status },
      );
    }
  };
  return { request: call, base, close: () => dispatcher.close() };
}

/** The typed error for an answer with an unexpected status, quoting Kong's `message` when present. */
export function adminCallFailed(
  base: string,
  method: string,
  path: string,
  res: AdminResponse,
): AdminApiError {
  const b = res.body;
  const message =
    typeof b === 'object' && b !== null && typeof (b as Record<string, unknown>)['message'] === 'string'
      ? ((b as Record<string, unknown>)['message'] as string)
      : 'no message';
  return new AdminApiError(
    'ADMIN_API_ERROR',
    `${method} ${base}${path}: answered ${res.status}: ${message}`,
    {
      url: `${base}${path}`,
      status: res.status,
    },
  );
}
