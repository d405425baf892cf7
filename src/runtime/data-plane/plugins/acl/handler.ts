/**
 * acl: allows or denies the authenticated consumer by its ACL groups (one of allow/deny is set, the
 * schema guarantees it). Sends the consumer's groups upstream in X-Consumer-Groups.
 */
import { aclSchema } from '../../../plugins/acl/schema.js';
import type { RequestContext } from '../context.js';
import { defineHandler, type PrepareEnv } from '../handler.js';

interface AclConf {
  allow: Set<string> | null;
  deny: Set<string> | null;
  hideGroupsHeader: boolean;
  env: PrepareEnv;
}

const FORBIDDEN = 'You cannot consume this service';

function groupsOf(ctx: RequestContext, env: PrepareEnv): readonly string[] {
  if (ctx.groups !== null) return ctx.groups;
  const acls = ctx.consumer === null ? undefined : env.consumers.aclsByConsumer.get(ctx.consumer.id);
  const groups: string[] = [];
  if (acls !== undefined) for (const a of acls) if (typeof a.group === 'string') groups.push(a.group);
  ctx.groups = groups;
  return groups;
}

/** The acl handler (priority 950, Kong's: after every auth plugin). */
export const aclHandler = defineHandler<AclConf>({
  name: 'acl',
  version: aclSchema.version,
  priority: aclSchema.priority,
  prepare(config, _entity, env) {
    const set = (v: unknown) => (Array.isArray(v) && v.length > 0 ? new Set(v as string[]) : null);
    return {
      allow: set(config.allow),
      deny: set(config.deny),
      hideGroupsHeader: config.hide_groups_header === true,
      env,
    };
  },
  phases: {
    access(ctx, conf) {
      if (ctx.consumer === null) {
        // A credential without a consumer is authenticated but has no groups to allow.
        if (ctx.credential !== null) return ctx.exit(403, { message: FORBIDDEN });
        return ctx.exit(401, { message: 'Unauthorized' });
      }
      const groups = groupsOf(ctx, conf.env);
      let blocked: boolean;
      if (conf.allow !== null) blocked = !groups.some((g) => conf.allow!.has(g));
      else blocked = groups.some((g) => conf.deny!.has(g));
      if (blocked) return ctx.exit(403, { message: FORBIDDEN });
      if (!conf.hideGroupsHeader && groups.length > 0)
        ctx.request.headers['x-consumer-groups'] = groups.join(', ');
    },
  },
});
