import { stringify } from 'yaml';

// The workloads the local node suite runs: plain objects, kept apart from the assertions.

/** The traditional node's Deployment and label value. */
export const APP = 'trad';
/** The Secret mounted into it (item `greeting` as hello.txt) and read by its env. */
export const SECRET = 'trad-extra';

/** A Deployment of the Hybridgate image running a traditional node, with the volumes under test. */
function deployment(): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: APP, namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: APP } },
      template: {
        metadata: { labels: { app: APP } },
        spec: {
          terminationGracePeriodSeconds: 10,
          containers: [
            {
              name: 'hybridgate',
              image: 'hybridgate/hybridgate:0.1.0',
              args: ['start'],
              env: [
                { name: 'HYBRIDGATE_ROLE', value: 'traditional' },
                { name: 'HYBRIDGATE_PREFIX', value: '/var/run/hybridgate' },
                { name: 'HYBRIDGATE_LMDB_ENVIRONMENT_PATH', value: '/var/lib/hybridgate/config.lmdb' },
                { name: 'HYBRIDGATE_LMDB_MAP_SIZE', value: '64m' },
                { name: 'HYBRIDGATE_PROXY_LISTEN', value: '0.0.0.0:8000' },
                { name: 'HYBRIDGATE_ADMIN_LISTEN', value: '0.0.0.0:8001' },
                { name: 'HYBRIDGATE_STATUS_LISTEN', value: '0.0.0.0:8100' },
                { name: 'HYBRIDGATE_TEST_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                {
                  name: 'HYBRIDGATE_TEST_SECRET',
                  valueFrom: { secretKeyRef: { name: SECRET, key: 'greeting' } },
                },
              ],
              ports: [{ name: 'status', containerPort: 8100 }],
              readinessProbe: {
                httpGet: { path: '/status/ready', port: 'status' },
                periodSeconds: 1,
                failureThreshold: 2,
              },
              // liveness waits for the startup probe: a slow start (a loaded machine) is not a failure
              startupProbe: {
                httpGet: { path: '/status', port: 8100 },
                periodSeconds: 1,
                failureThreshold: 60,
              },
              livenessProbe: {
                httpGet: { path: '/status', port: 8100 },
                periodSeconds: 2,
                failureThreshold: 3,
              },
              volumeMounts: [
                { name: 'prefix', mountPath: '/var/run/hybridgate' },
                // as the chart's operator does: the emptyDir hides the host's /tmp, where the run lives
                { name: 'tmp', mountPath: '/tmp' },
                { name: 'data', mountPath: '/var/lib/hybridgate' },
                { name: 'extra', mountPath: '/etc/hybridgate/extra', readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'prefix', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
            { name: 'data', persistentVolumeClaim: { claimName: 'trad-data' } },
            {
              name: 'extra',
              secret: {
                secretName: SECRET,
                items: [{ key: 'greeting', path: 'hello.txt' }],
                defaultMode: 0o440,
              },
            },
          ],
        },
      },
    },
  };
}

/** The traditional node's Secret, claim, Service and Deployment, as one YAML stream. */
export const tradManifests = () =>
  [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: SECRET, namespace: 'default' },
      stringData: { greeting: 'hello-1', other: 'x' },
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'trad-data', namespace: 'default' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'trad-svc', namespace: 'default' },
      spec: { selector: { app: APP }, ports: [{ name: 'status', port: 8100, targetPort: 8100 }] },
    },
    deployment(),
  ]
    .map((m) => stringify(m))
    .join('---\n');

/** A control plane and a data plane (shared-mode mTLS) with the Service the DP finds the CP by. */
export function controlPlanePair(certPem: string, keyPem: string): Record<string, unknown>[] {
  const certs = { name: 'certs', mountPath: '/etc/hybridgate/cluster', readOnly: true };
  const common = [
    { name: 'HYBRIDGATE_PREFIX', value: '/var/run/hybridgate' },
    { name: 'HYBRIDGATE_CLUSTER_CERT', value: '/etc/hybridgate/cluster/tls.crt' },
    { name: 'HYBRIDGATE_CLUSTER_CERT_KEY', value: '/etc/hybridgate/cluster/tls.key' },
  ];
  const workload = (name: string, env: object[], probe: object) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'hybridgate',
              image: 'hybridgate/hybridgate:0.1.0',
              env: [...common, ...env],
              readinessProbe: { ...probe, periodSeconds: 1 },
              volumeMounts: [{ name: 'prefix', mountPath: '/var/run/hybridgate' }, certs],
            },
          ],
          volumes: [
            { name: 'prefix', emptyDir: {} },
            { name: 'certs', secret: { secretName: 'cluster-cert' } },
          ],
        },
      },
    },
  });
  const objects = [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cluster-cert', namespace: 'default' },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': certPem, 'tls.key': keyPem },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'cp', namespace: 'default' },
      spec: {
        selector: { app: 'cp' },
        ports: [
          { name: 'cluster', port: 8005, targetPort: 8005 },
          { name: 'telemetry', port: 8006, targetPort: 8006 },
        ],
      },
    },
    workload(
      'cp',
      [
        { name: 'HYBRIDGATE_ROLE', value: 'control_plane' },
        { name: 'HYBRIDGATE_LMDB_ENVIRONMENT_PATH', value: '/var/run/hybridgate/config.lmdb' },
        { name: 'HYBRIDGATE_LMDB_MAP_SIZE', value: '64m' },
        { name: 'HYBRIDGATE_ADMIN_LISTEN', value: '0.0.0.0:8001' },
      ],
      { tcpSocket: { port: 8005 } },
    ),
    workload(
      'dp',
      [
        { name: 'HYBRIDGATE_ROLE', value: 'data_plane' },
        { name: 'HYBRIDGATE_DATABASE', value: 'off' },
        { name: 'HYBRIDGATE_CLUSTER_CONTROL_PLANE', value: 'cp.default.svc:8005' },
        { name: 'HYBRIDGATE_CLUSTER_TELEMETRY_ENDPOINT', value: 'cp.default.svc.cluster.local:8006' },
        { name: 'HYBRIDGATE_PROXY_LISTEN', value: '0.0.0.0:8000' },
        { name: 'HYBRIDGATE_STATUS_LISTEN', value: '0.0.0.0:8100' },
      ],
      { httpGet: { path: '/status/ready', port: 8100 } },
    ),
  ];
  return objects;
}
