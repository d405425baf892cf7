/**
 * ip-restriction: deny list, then allow list (an allow list, when set, decides: Kong evaluates deny
 * first and lets allow override it). Answers `status` (403) with `message`.
 */
import { ipRestrictionSchema } from '../../../plugins/ip-restriction/schema.js';
import { defineHandler } from '../handler.js';
import { matchesAny, parseCidr, parseIp, type Cidr } from './cidr.js';

interface IpRestrictionConf {
  allow: Cidr[] | null;
  deny: Cidr[] | null;
  status: number;
  message: string;
}

/** The ip-restriction handler (priority 990, Kong's). */
export const ipRestrictionHandler = defineHandler<IpRestrictionConf>({
  name: 'ip-restriction',
  version: ipRestrictionSchema.version,
  priority: ipRestrictionSchema.priority,
  prepare(config) {
    const list = (v: unknown) => (Array.isArray(v) && v.length > 0 ? (v as string[]).map(parseCidr) : null);
    return {
      allow: list(config.allow),
      deny: list(config.deny),
      status: typeof config.status === 'number' ? config.status : 403,
      message: typeof config.message === 'string' ? config.message : 'Your IP address is not allowed',
    };
  },
  phases: {
    access(ctx, conf) {
      const addr = parseIp(ctx.request.clientIp);
      if (addr === null) {
        return ctx.exit(403, {
          message: 'Cannot identify the client IP address, unix domain sockets are not supported.',
        });
      }
      let blocked = false;
      if (conf.deny !== null) blocked = matchesAny(addr, conf.deny);
      if (conf.allow !== null) blocked = !matchesAny(addr, conf.allow);
      if (blocked) ctx.exit(conf.status, { message: conf.message });
    },
  },
});
