/**
 * cert-manager.io/v1 types the operator uses (provider cert-manager), generated with openapi-typescript
 * from crds/third-party/cert-manager.openapi.json.
 */
import type { components } from './generated/cert-manager.js';

type Schemas = components['schemas'];

/** cert-manager.io/v1 Certificate. */
export type Certificate = Schemas['Certificate'];
/** The spec of a Certificate. */
export type CertificateSpec = Schemas['CertificateSpec'];
/** The status of a Certificate (conditions, notAfter, renewalTime). */
export type CertificateStatus = Schemas['CertificateStatus'];
/** cert-manager.io/v1 Issuer or ClusterIssuer. */
export type Issuer = Schemas['Issuer'];
/** A reference to the issuer that signs a Certificate. */
export type IssuerReference = Schemas['IssuerReference'];

/** API version of cert-manager's resources. */
export const CERT_MANAGER_API_VERSION = 'cert-manager.io/v1';
