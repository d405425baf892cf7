import type { EntityName } from '../entities/definition.js';

/** A family that may be written inside another, with the FK field that nesting fills implicitly. */
export interface NestedFamily {
  family: EntityName;
  foreignKey: string;
}

/**
 * Which families may be nested under which (Kong's declarative format): the key under the parent is
 * the child family's name.
 */
export const NESTING: Partial<Record<EntityName, readonly NestedFamily[]>> = {
  services: [
    { family: 'routes', foreignKey: 'service' },
    { family: 'plugins', foreignKey: 'service' },
  ],
  routes: [{ family: 'plugins', foreignKey: 'route' }],
  consumers: [
    { family: 'plugins', foreignKey: 'consumer' },
    { family: 'keyauth_credentials', foreignKey: 'consumer' },
    { family: 'basicauth_credentials', foreignKey: 'consumer' },
    { family: 'acls', foreignKey: 'consumer' },
  ],
  upstreams: [{ family: 'targets', foreignKey: 'upstream' }],
  certificates: [{ family: 'snis', foreignKey: 'certificate' }],
};
