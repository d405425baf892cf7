import type { EntityDefinition, EntityName } from './definition.js';
import { caCertificatesDefinition, certificatesDefinition, snisDefinition } from './certificates.js';
import { consumersDefinition } from './consumers.js';
import { aclsDefinition, basicauthCredentialsDefinition, keyauthCredentialsDefinition } from './credentials.js';
import { pluginsDefinition } from './plugins.js';
import { routesDefinition } from './routes.js';
import { servicesDefinition } from './services.js';
import { targetsDefinition } from './targets.js';
import { upstreamsDefinition } from './upstreams.js';

export { ENTITY_NAMES } from './definition.js';
export type { Entity, EntityDefinition, EntityName, ForeignKey, ValidationContext } from './definition.js';

/** Every entity family's definition: the one table the store, Admin API and declarative loader share. */
export const ENTITY_DEFINITIONS: Readonly<Record<EntityName, EntityDefinition>> = Object.freeze({
  certificates: certificatesDefinition,
  ca_certificates: caCertificatesDefinition,
  snis: snisDefinition,
  services: servicesDefinition,
  routes: routesDefinition,
  upstreams: upstreamsDefinition,
  targets: targetsDefinition,
  consumers: consumersDefinition,
  keyauth_credentials: keyauthCredentialsDefinition,
  basicauth_credentials: basicauthCredentialsDefinition,
  acls: aclsDefinition,
  plugins: pluginsDefinition,
});
