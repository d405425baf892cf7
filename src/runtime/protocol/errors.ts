import { HybridgateError } from '../../shared/errors.js';

/** A frame or handshake that breaks protocol v1; `closeCode` is what the receiver closes with. */
export class ProtocolError extends HybridgateError {
  readonly closeCode: number;

  constructor(
    message: string,
    closeCode: number,
    context: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super('HG_ERR_PROTOCOL', message, context, options);
    this.closeCode = closeCode;
  }
}

/** A payload larger than cluster_max_payload; names the limit and the size, never sent. */
export class PayloadTooLargeError extends HybridgateError {
  readonly size: number;
  readonly limit: number;

  constructor(what: string, size: number, limit: number) {
    super(
      'HG_ERR_PAYLOAD_TOO_LARGE',
      `${what} is ${size} bytes, more than cluster_max_payload (${limit} bytes)`,
      { size, limit },
    );
    this.size = size;
    this.limit = limit;
  }
}

/** The CP's TLS identity check refused a peer (shared: wrong certificate; PKI: untrusted chain). */
export class PeerRejectedError extends HybridgateError {
  constructor(reason: string, context: Record<string, unknown> = {}) {
    super('HG_ERR_PEER_REJECTED', reason, context);
  }
}
