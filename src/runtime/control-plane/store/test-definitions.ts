import { z } from 'zod';
import type { Entity, EntityDefinition, EntityName } from '../../config/entities/definition.js';
import type { Definitions } from './write-txn.js';

/**
 * Minimal entity definitions for the store's own tests: the store enforces only what a definition
 * declares (uniques, composite uniques, foreign keys and their onDelete), so these keep its tests
 * independent of the full Kong schemas.
 */
function def(
  name: EntityName,
  extra: Partial<Omit<EntityDefinition, 'name' | 'schema'>> = {},
): EntityDefinition {
  return {
    name,
    schema: z.looseObject({ id: z.string() }) as unknown as z.ZodType<Entity>,
    uniqueFields: [],
    foreignKeys: [],
    tags: true,
    ...extra,
  };
}

/** Services, routes (restrict), plugins (cascade), upstreams + targets (composite unique), consumers. */
export function testDefinitions(): Definitions {
  return {
    certificates: def('certificates'),
    ca_certificates: def('ca_certificates'),
    snis: def('snis', {
      uniqueFields: ['name'],
      foreignKeys: [{ field: 'certificate', references: 'certificates', onDelete: 'cascade' }],
    }),
    services: def('services', { uniqueFields: ['name'], endpointKey: 'name' }),
    routes: def('routes', {
      uniqueFields: ['name'],
      endpointKey: 'name',
      foreignKeys: [{ field: 'service', references: 'services', onDelete: 'restrict' }],
    }),
    upstreams: def('upstreams', { uniqueFields: ['name'], endpointKey: 'name' }),
    targets: def('targets', {
      compositeUnique: ['upstream', 'target'],
      foreignKeys: [{ field: 'upstream', references: 'upstreams', onDelete: 'cascade' }],
    }),
    consumers: def('consumers', { uniqueFields: ['username', 'custom_id'], endpointKey: 'username' }),
    keyauth_credentials: def('keyauth_credentials', {
      uniqueFields: ['key'],
      foreignKeys: [{ field: 'consumer', references: 'consumers', onDelete: 'cascade' }],
    }),
    basicauth_credentials: def('basicauth_credentials', {
      uniqueFields: ['username'],
      foreignKeys: [{ field: 'consumer', references: 'consumers', onDelete: 'cascade' }],
    }),
    acls: def('acls', { foreignKeys: [{ field: 'consumer', references: 'consumers', onDelete: 'cascade' }] }),
    plugins: def('plugins', {
      compositeUnique: ['name', 'route', 'service', 'consumer'],
      foreignKeys: [
        { field: 'route', references: 'routes', onDelete: 'cascade' },
        { field: 'service', references: 'services', onDelete: 'cascade' },
        { field: 'consumer', references: 'consumers', onDelete: 'cascade' },
      ],
    }),
  };
}
