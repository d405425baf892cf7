import { z } from 'zod';
import { HYBRIDGATE_VERSION } from '../../version.js';
import { atLeastOneOf, ipOrCidr, isSet, opt } from '../fields.js';
import { HTTP_PROTOCOLS, PLUGIN_PROTOCOLS, type PluginSchema } from '../types.js';

/** ip-restriction: allows or denies clients by source address (IPs or CIDR ranges). */
export const ipRestrictionSchema: PluginSchema = {
  name: 'ip-restriction',
  version: HYBRIDGATE_VERSION,
  priority: 990,
  protocols: PLUGIN_PROTOCOLS,
  defaultProtocols: HTTP_PROTOCOLS,
  config: z
    .strictObject({
      allow: opt(z.array(ipOrCidr())),
      deny: opt(z.array(ipOrCidr())),
      status: opt(
        z
          .int()
          .min(100, { error: 'value should be between 100 and 999' })
          .max(999, { error: 'value should be between 100 and 999' }),
      ),
      message: opt(z.string()),
    })
    .superRefine((c, ctx) => {
      if (!isSet(c.allow) && !isSet(c.deny))
        ctx.addIssue({ code: 'custom', path: [], message: atLeastOneOf(['allow', 'deny']) });
    }),
};
