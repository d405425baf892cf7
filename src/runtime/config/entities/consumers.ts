import { z } from 'zod';
import type { EntityDefinition } from './definition.js';
import { baseFields, nullable, tags } from './fields.js';

const schema = z
  .strictObject({
    ...baseFields(),
    username: nullable(z.string().min(1, { error: 'length must be at least 1' })),
    custom_id: nullable(z.string().min(1, { error: 'length must be at least 1' })),
    tags: tags(),
  })
  .superRefine((c, ctx) => {
    if (c.username === null && c.custom_id === null) {
      ctx.addIssue({ code: 'custom', path: [], message: "at least one of these fields must be non-empty: 'custom_id', 'username'" });
    }
  });

/** Kong's `consumers`: the identities that credentials and plugins attach to. */
export const consumersDefinition: EntityDefinition = {
  name: 'consumers',
  schema: schema as unknown as EntityDefinition['schema'],
  uniqueFields: ['username', 'custom_id'],
  endpointKey: 'username',
  foreignKeys: [],
  tags: true,
};
