import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { EntityDefinition, ValidationContext } from './definition.js';
import { baseFields, foreignKey, nullable, tags } from './fields.js';

/** A fresh API key as Kong makes them (`utils.random_string`: 32 hex characters). */
export function generateKey(): string {
  return randomBytes(16).toString('hex');
}

/** Kong's basic-auth storage form: sha1 hex of the password followed by the consumer's id. */
export function hashBasicAuthPassword(password: string, consumerId: string): string {
  return createHash('sha1').update(password + consumerId).digest('hex');
}

function consumerIdOf(input: Record<string, unknown>, ctx: ValidationContext): string | undefined {
  const fk = input.consumer ?? ctx.existing?.consumer;
  const id = typeof fk === 'object' && fk !== null ? (fk as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
}

const consumerFk = { field: 'consumer', references: 'consumers', onDelete: 'cascade' } as const;

/** Kong's `keyauth_credentials`: an API key belonging to a consumer. */
export const keyauthCredentialsDefinition: EntityDefinition = {
  name: 'keyauth_credentials',
  schema: z.strictObject({
    ...baseFields(),
    consumer: foreignKey(),
    key: z.string().min(1, { error: 'length must be at least 1' }),
    ttl: nullable(z.int().min(0, { error: 'value must be at least 0' })),
    tags: tags(),
  }) as unknown as EntityDefinition['schema'],
  uniqueFields: ['key'],
  endpointKey: 'key',
  foreignKeys: [consumerFk],
  secretFields: ['key'],
  tags: true,
  prepare: (input, ctx) => {
    // Kong generates a key when none is sent on creation; an update keeps the stored one.
    if (ctx.transform && ctx.existing === undefined && (input.key === undefined || input.key === null)) {
      return { ...input, key: generateKey() };
    }
    return input;
  },
};

/** Kong's `basicauth_credentials`: a username and (hashed) password belonging to a consumer. */
export const basicauthCredentialsDefinition: EntityDefinition = {
  name: 'basicauth_credentials',
  schema: z.strictObject({
    ...baseFields(),
    consumer: foreignKey(),
    username: z.string().min(1, { error: 'length must be at least 1' }),
    password: z.string().min(1, { error: 'length must be at least 1' }),
    tags: tags(),
  }) as unknown as EntityDefinition['schema'],
  uniqueFields: ['username'],
  endpointKey: 'username',
  foreignKeys: [consumerFk],
  secretFields: ['password'],
  tags: true,
  prepare: (input, ctx) => {
    // Only a password sent in this call is hashed; the stored one is already a hash.
    if (!ctx.transform || typeof input.password !== 'string' || input.password === '') return input;
    const consumerId = consumerIdOf(input, ctx);
    if (consumerId === undefined) return input;
    return { ...input, password: hashBasicAuthPassword(input.password, consumerId) };
  },
};

/** Kong's `acls`: a consumer's membership of a group (read by the acl plugin). */
export const aclsDefinition: EntityDefinition = {
  name: 'acls',
  schema: z.strictObject({
    ...baseFields(),
    consumer: foreignKey(),
    group: z.string().min(1, { error: 'length must be at least 1' }),
    tags: tags(),
  }) as unknown as EntityDefinition['schema'],
  uniqueFields: [],
  compositeUnique: ['consumer', 'group'],
  foreignKeys: [consumerFk],
  tags: true,
};
