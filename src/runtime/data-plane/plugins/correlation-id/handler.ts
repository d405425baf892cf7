/**
 * correlation-id: gives each request an id in `header_name` (kept when the client sent one), sent
 * upstream and, with echo_downstream, back to the client.
 */
import { randomUUID } from 'node:crypto';
import { correlationIdSchema } from '../../../plugins/correlation-id/schema.js';
import type { RequestContext } from '../context.js';
import { defineHandler } from '../handler.js';

interface CorrelationConf {
  header: string;
  generate: (ctx: RequestContext) => string;
  echo: boolean;
}

const KEY = 'correlation-id';
// uuid#counter: one uuid per process and a counter, so ids are cheap and still unique.
const processUuid = randomUUID();
let counter = 0;

function tracker(ctx: RequestContext): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  const r = ctx.request;
  return `${r.host}-${r.port}-${process.pid}-${r.clientIp}-${Date.now() / 1000}-${counter}`;
}

const GENERATORS: Readonly<Record<string, (ctx: RequestContext) => string>> = {
  uuid: () => randomUUID(),
  'uuid#counter': () => {
    counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
    return `${processUuid}#${counter}`;
  },
  tracker,
};

/** The correlation-id handler (priority 100001, Kong's: first, so every plugin's logs have the id). */
export const correlationIdHandler = defineHandler<CorrelationConf>({
  name: 'correlation-id',
  version: correlationIdSchema.version,
  priority: correlationIdSchema.priority,
  prepare(config) {
    return {
      header: String(config.header_name ?? 'Kong-Request-ID').toLowerCase(),
      generate: GENERATORS[String(config.generator ?? 'uuid#counter')] ?? GENERATORS['uuid#counter']!,
      echo: config.echo_downstream === true,
    };
  },
  phases: {
    access(ctx, conf) {
      let id = ctx.header(conf.header);
      if (id === undefined || id === '') {
        id = conf.generate(ctx);
        ctx.request.headers[conf.header] = id;
      }
      if (conf.echo) ctx.shared.set(KEY, id);
    },
    header_filter(ctx, conf) {
      if (!conf.echo || ctx.response === null) return;
      const id = ctx.peekShared(KEY);
      if (typeof id === 'string') ctx.response.headers[conf.header] = id;
    },
  },
});
