import type { EntityName } from '../../config/entities/definition.js';

/**
 * Where each entity family lives in the Admin API, as Kong names it (kong/api/routes/*.lua and the
 * plugins' api.lua files). The generic entity routes are generated from this table, so adding a family
 * is one entry here, not a copy of handlers.
 */

/** A top-level collection: `/{path}` and `/{path}/{id or endpoint key}`. */
export interface CollectionResource {
  family: EntityName;
  path: string;
}

/** A collection under a parent: `/{parent path}/{parent}/{segment}` sets `field` to the parent. */
export interface NestedResource {
  parent: EntityName;
  family: EntityName;
  /** The child's foreign key field that points at the parent. */
  field: string;
  segment: string;
}

/** Top-level collections. Targets are only reachable under their upstream, as in Kong. */
export const COLLECTIONS: readonly CollectionResource[] = [
  { family: 'services', path: 'services' },
  { family: 'routes', path: 'routes' },
  { family: 'consumers', path: 'consumers' },
  { family: 'plugins', path: 'plugins' },
  { family: 'certificates', path: 'certificates' },
  { family: 'ca_certificates', path: 'ca_certificates' },
  { family: 'snis', path: 'snis' },
  { family: 'upstreams', path: 'upstreams' },
  { family: 'keyauth_credentials', path: 'key-auths' },
  { family: 'basicauth_credentials', path: 'basic-auths' },
  { family: 'acls', path: 'acls' },
];

/** Collections nested under a parent entity. */
export const NESTED: readonly NestedResource[] = [
  { parent: 'services', family: 'routes', field: 'service', segment: 'routes' },
  { parent: 'services', family: 'plugins', field: 'service', segment: 'plugins' },
  { parent: 'routes', family: 'plugins', field: 'route', segment: 'plugins' },
  { parent: 'consumers', family: 'plugins', field: 'consumer', segment: 'plugins' },
  { parent: 'upstreams', family: 'targets', field: 'upstream', segment: 'targets' },
  { parent: 'consumers', family: 'keyauth_credentials', field: 'consumer', segment: 'key-auth' },
  { parent: 'consumers', family: 'basicauth_credentials', field: 'consumer', segment: 'basic-auth' },
  { parent: 'consumers', family: 'acls', field: 'consumer', segment: 'acls' },
  { parent: 'certificates', family: 'snis', field: 'certificate', segment: 'snis' },
];

/**
 * Endpoint keys that only identify an entity within its parent (Kong: a target's `host:port` within
 * its upstream, an ACL group within its consumer); they are looked up among the parent's children.
 */
export const SCOPED_ENDPOINT_KEYS: Partial<Record<EntityName, string>> = {
  targets: 'target',
  acls: 'group',
};

/** The top-level path of a family, if it has one. */
export function collectionPath(family: EntityName): string | undefined {
  return COLLECTIONS.find((c) => c.family === family)?.path;
}
