/**
 * request-size-limiting: 413 when Content-Length, or the body read so far, exceeds the allowed size;
 * 411 when require_content_length is set and the request has no valid Content-Length.
 */
import { requestSizeLimitingSchema } from '../../../plugins/request-size-limiting/schema.js';
import type { RequestContext } from '../context.js';
import { defineHandler } from '../handler.js';

interface SizeConf {
  maxBytes: number;
  requireContentLength: boolean;
}

const UNITS: Readonly<Record<string, number>> = { megabytes: 1024 * 1024, kilobytes: 1024, bytes: 1 };
const TOO_LARGE = { message: 'Request size limit exceeded' };

async function checkStreamed(ctx: RequestContext, conf: SizeConf): Promise<void> {
  const body = await ctx.readBody(conf.maxBytes);
  if (body === null) ctx.exit(413, TOO_LARGE);
}

/** The request-size-limiting handler (priority 951, Kong's). */
export const requestSizeLimitingHandler = defineHandler<SizeConf>({
  name: 'request-size-limiting',
  version: requestSizeLimitingSchema.version,
  priority: requestSizeLimitingSchema.priority,
  prepare(config) {
    const unit = UNITS[String(config.size_unit ?? 'megabytes')] ?? UNITS.megabytes!;
    return {
      maxBytes: Number(config.allowed_payload_size ?? 128) * unit,
      requireContentLength: config.require_content_length === true,
    };
  },
  phases: {
    access(ctx, conf) {
      const cl = ctx.header('content-length');
      const valid = cl !== undefined && /^\d+$/.test(cl.trim());
      if (conf.requireContentLength && !valid) {
        return ctx.exit(411, { message: 'A valid Content-Length header is required' });
      }
      if (valid) {
        if (Number(cl) > conf.maxBytes) ctx.exit(413, TOO_LARGE);
        return;
      }
      // No length announced (chunked): count what arrives, stopping at the limit.
      if (ctx.header('transfer-encoding') !== undefined) return checkStreamed(ctx, conf);
    },
  },
});
