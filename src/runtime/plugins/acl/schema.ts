import { z } from 'zod';
import { HYBRIDGATE_VERSION } from '../../version.js';
import { atLeastOneOf, isSet, onlyOneOf, opt } from '../fields.js';
import { HTTP_PROTOCOLS, type PluginSchema } from '../types.js';

/** acl: allows or denies consumers by the groups (acls entities) they belong to. */
export const aclSchema: PluginSchema = {
  name: 'acl',
  version: HYBRIDGATE_VERSION,
  priority: 950,
  protocols: HTTP_PROTOCOLS,
  defaultProtocols: HTTP_PROTOCOLS,
  noConsumer: true,
  config: z
    .strictObject({
      allow: opt(z.array(z.string())),
      deny: opt(z.array(z.string())),
      hide_groups_header: z.boolean().default(false),
      include_consumer_groups: z.boolean().default(false),
    })
    .superRefine((c, ctx) => {
      // Kong's entity checks: exactly one list, so the decision is never ambiguous.
      if (isSet(c.allow) && isSet(c.deny))
        ctx.addIssue({ code: 'custom', path: [], message: onlyOneOf(['allow', 'deny']) });
      if (!isSet(c.allow) && !isSet(c.deny))
        ctx.addIssue({ code: 'custom', path: [], message: atLeastOneOf(['allow', 'deny']) });
    }),
};
