/**
 * Names of everything the operator makes, in one place so that renderers, certificate code, reconcilers
 * and tests agree. The CRDs cap resource names (cluster 40, ControlPlane/DataPlane 50 characters) so
 * every name here stays a valid DNS label (63 characters).
 */

/** The ControlPlane a HybridCluster owns: named like the cluster. */
export const controlPlaneNameFor = (cluster: string): string => cluster;

/** The DataPlane a HybridCluster owns for one group: `<cluster>-<group>`. */
export const dataPlaneNameFor = (cluster: string, group: string): string => `${cluster}-${group}`;

/** Names of the objects a ControlPlane renders. */
export function controlPlaneNames(cp: string) {
  return {
    /** Deployment (postgres) or StatefulSet (lmdb). */
    workload: cp,
    serviceAccount: cp,
    adminService: `${cp}-admin`,
    clusterService: `${cp}-cluster`,
    /** volumeClaimTemplate name; the PVC of pod 0 is `data-<cp>-0`. */
    dataVolume: 'data',
    /** Shared mode: the one cluster certificate used by the CP and every DP. */
    sharedCertSecret: `${cp}-cluster-cert`,
    /** PKI mode: the CA (root kept by the operator, never mounted in DPs). */
    caSecret: `${cp}-ca`,
    /** PKI mode: the CP's server certificate. */
    cpCertSecret: `${cp}-cp-cert`,
    /** The Admin API bearer token (key `token`), made once and mounted in the CP. */
    adminTokenSecret: `${cp}-admin-token`,
    /** The Admin API's serving certificate (tls.crt, tls.key, ca.crt), mounted in the CP. */
    adminTlsSecret: `${cp}-admin-tls`,
    /** The CA that signs the Admin API certificate (kept by the operator, never mounted). */
    adminCaSecret: `${cp}-admin-ca`,
    /** The NetworkPolicy that limits who reaches the Admin API port. */
    adminNetworkPolicy: `${cp}-admin`,
  };
}

/** Names of the objects a DataPlane renders. */
export function dataPlaneNames(dp: string) {
  return {
    deployment: dp,
    serviceAccount: dp,
    proxyService: `${dp}-proxy`,
    podDisruptionBudget: dp,
    /** PKI mode: the DP's client certificate (issued for the group, shared by its pods). */
    certSecret: `${dp}-dp-cert`,
  };
}

/** The in-cluster DNS names of a Service, shortest first (the CP certificate's SANs). */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

/** The host DPs dial in the same cluster: `<svc>.<ns>.svc` (resolves through every pod's search path). */
export const serviceHost = (service: string, namespace: string): string => `${service}.${namespace}.svc`;
