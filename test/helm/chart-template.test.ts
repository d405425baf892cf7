import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR, Helm, type RenderedObject } from './helm.js';

// helm lint and helm template with the real helm binary; every rendered object is parsed and read.
// NOTES.txt needs a cluster to render (kubeVersion check), so chart-install.test.ts reads it.

interface Container {
  name: string;
  image: string;
  imagePullPolicy: string;
  args: string[];
  env: { name: string; valueFrom?: unknown }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  securityContext: Record<string, unknown>;
  resources?: Record<string, unknown>;
}
interface Deployment extends RenderedObject {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: {
        serviceAccountName: string;
        securityContext: Record<string, unknown>;
        containers: Container[];
        nodeSelector?: Record<string, string>;
        tolerations?: unknown[];
        affinity?: unknown;
        imagePullSecrets?: unknown[];
        priorityClassName?: string;
      };
    };
  };
}
interface Binding extends RenderedObject {
  roleRef: { kind: string; name: string };
  subjects: { kind: string; name: string; namespace: string }[];
}

let helm: Helm;
let appVersion: string;
beforeAll(async () => {
  helm = await Helm.create();
  appVersion = (parse(await readFile(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { appVersion: string })
    .appVersion;
});
afterAll(async () => {
  await helm?.cleanup();
});

const operatorOf = (d: Deployment) => d.spec.template.spec.containers.find((c) => c.name === 'operator')!;

/** Every documented option at once (the values a careful production install would set). */
const ALL_OPTIONS = {
  image: { repository: 'registry.example/hybridgate', tag: '0.2.0-rc.1', pullPolicy: 'Always' },
  imagePullSecrets: [{ name: 'regcred' }],
  replicaCount: 2,
  watchNamespace: 'gateways',
  logLevel: 'debug',
  caPropagationDelaySeconds: 30,
  healthPort: 9443,
  extraArgs: ['--context=prod'],
  serviceAccount: { create: true, name: 'gw-operator', annotations: { 'example.com/role': 'operator' } },
  metrics: {
    service: {
      enabled: true,
      type: 'ClusterIP',
      port: 9090,
      annotations: { 'prometheus.io/scrape': 'true' },
    },
    serviceMonitor: { enabled: true, interval: '15s', scrapeTimeout: '5s', labels: { release: 'prom' } },
  },
  podAnnotations: { 'example.com/team': 'edge' },
  podLabels: { team: 'edge' },
  resources: { requests: { cpu: '100m', memory: '200Mi' }, limits: { cpu: 1, memory: '512Mi' } },
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gateway', effect: 'NoSchedule' }],
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
  priorityClassName: 'system-cluster-critical',
};

describe('helm lint', () => {
  it('passes with the default values, strict', async () => {
    const r = await helm.run(['lint', '--strict', CHART_DIR]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(r.code).toBe(0);
  });

  it('passes with every documented option set, strict', async () => {
    const r = await helm.run(['lint', '--strict', CHART_DIR], ALL_OPTIONS);
    expect(r.stdout).toContain('0 chart(s) failed');
    expect(r.code).toBe(0);
  });

  it('fails on a value the schema rejects', async () => {
    const r = await helm.run(['lint', '--strict', CHART_DIR], { replicaCount: 'two' });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('/replicaCount');
  });
});

describe('helm template with the default values', () => {
  it('renders exactly the operator, its identity, RBAC and metrics Service', async () => {
    const out = await helm.template();
    expect(out.ids).toEqual([
      'ClusterRole/hybridgate-system-hg-hybridgate',
      'ClusterRoleBinding/hybridgate-system-hg-hybridgate',
      'Deployment/hg-hybridgate',
      'Role/hg-hybridgate-leader-election',
      'RoleBinding/hg-hybridgate-leader-election',
      'Service/hg-hybridgate-metrics',
      'ServiceAccount/hg-hybridgate',
    ]);
    for (const o of out.objects) {
      expect(o.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'hybridgate',
        'app.kubernetes.io/instance': 'hg',
        'app.kubernetes.io/managed-by': 'Helm',
        'app.kubernetes.io/version': appVersion,
      });
      if (!o.kind.startsWith('Cluster')) expect(o.metadata.namespace).toBe('hybridgate-system');
    }
  });

  it('runs `hybridgate operator` as a restricted, non-root pod with probes on the health port', async () => {
    const d = (await helm.template()).get<Deployment>('Deployment');
    expect(d.spec.replicas).toBe(1);
    const pod = d.spec.template.spec;
    expect(pod.serviceAccountName).toBe('hg-hybridgate');
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const c = operatorOf(d);
    expect(c.image).toBe(`hybridgate/hybridgate:${appVersion}`);
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.args).toEqual([
      'operator',
      '--health-address=:8081',
      '--log-level=info',
      '--ca-propagation-delay=120',
    ]);
    expect(c.env).toEqual([
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ]);
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 8081, protocol: 'TCP' }]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } });
    // The selector is immutable: it must not carry the version or chart labels.
    expect(d.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'hybridgate',
      'app.kubernetes.io/instance': 'hg',
      'app.kubernetes.io/component': 'operator',
    });
    expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
  });

  it('binds the ClusterRole and the leader-election Role to the ServiceAccount in the release namespace', async () => {
    const out = await helm.template();
    const crb = out.get<Binding>('ClusterRoleBinding');
    expect(crb.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'hybridgate-system-hg-hybridgate' });
    expect(crb.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'hg-hybridgate', namespace: 'hybridgate-system' },
    ]);
    const rb = out.get<Binding>('RoleBinding');
    expect(rb.roleRef).toMatchObject({ kind: 'Role', name: 'hg-hybridgate-leader-election' });
    expect(rb.subjects).toEqual(crb.subjects);
  });

  it('selects the operator pods with the metrics Service on the metrics port', async () => {
    const out = await helm.template();
    const svc = out.get<RenderedObject & { spec: Record<string, unknown> }>('Service');
    const d = out.get<Deployment>('Deployment');
    expect(svc.spec).toEqual({
      type: 'ClusterIP',
      selector: d.spec.selector.matchLabels,
      ports: [{ name: 'metrics', port: 8081, targetPort: 'metrics', protocol: 'TCP' }],
    });
  });

  it('names objects after the release alone when the release name contains the chart name', async () => {
    const out = await helm.template(undefined, { release: 'hybridgate', namespace: 'ops' });
    expect(out.ids).toContain('Deployment/hybridgate');
    expect(out.ids).toContain('ClusterRole/ops-hybridgate');
  });
});

describe('helm template with every documented option', () => {
  it('watchNamespace: a Role and RoleBinding in that namespace, no cluster-wide RBAC, --namespace passed', async () => {
    const out = await helm.template({ watchNamespace: 'gateways' });
    expect(out.ids.filter((id) => id.startsWith('Cluster'))).toEqual([]);
    const role = out.get('Role', 'hg-hybridgate');
    expect(role.metadata.namespace).toBe('gateways');
    const rb = out.get<Binding>('RoleBinding', 'hg-hybridgate');
    expect(rb.metadata.namespace).toBe('gateways');
    expect(rb.roleRef).toMatchObject({ kind: 'Role', name: 'hg-hybridgate' });
    expect(rb.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'hg-hybridgate', namespace: 'hybridgate-system' },
    ]);
    // The lease stays in the release namespace.
    expect(out.get('Role', 'hg-hybridgate-leader-election').metadata.namespace).toBe('hybridgate-system');
    expect(operatorOf(out.get<Deployment>('Deployment')).args).toContain('--namespace=gateways');
  });

  it('serviceMonitor: a ServiceMonitor scraping the metrics Service, with the extra labels', async () => {
    const out = await helm.template({
      metrics: { serviceMonitor: { enabled: true, labels: { release: 'prom' } } },
    });
    const sm = out.get<RenderedObject & { spec: Record<string, unknown> }>('ServiceMonitor');
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm.metadata.labels).toMatchObject({ release: 'prom', 'app.kubernetes.io/instance': 'hg' });
    expect(sm.spec).toEqual({
      namespaceSelector: { matchNames: ['hybridgate-system'] },
      selector: { matchLabels: out.get<Deployment>('Deployment').spec.selector.matchLabels },
      endpoints: [
        { port: 'metrics', path: '/metrics', scheme: 'http', interval: '30s', scrapeTimeout: '10s' },
      ],
    });
    expect((await helm.template()).ids.some((id) => id.startsWith('ServiceMonitor/'))).toBe(false);
  });

  it('custom image: repository, tag and pull policy; a digest wins over the tag', async () => {
    const tagged = await helm.template({
      image: { repository: 'registry.example/team/hybridgate', tag: '0.2.0', pullPolicy: 'Always' },
    });
    const c = operatorOf(tagged.get<Deployment>('Deployment'));
    expect(c.image).toBe('registry.example/team/hybridgate:0.2.0');
    expect(c.imagePullPolicy).toBe('Always');
    const digest = `sha256:${'ab'.repeat(32)}`;
    const pinned = await helm.template({ image: { tag: '0.2.0', digest } });
    expect(operatorOf(pinned.get<Deployment>('Deployment')).image).toBe(`hybridgate/hybridgate@${digest}`);
  });

  it('resources, scheduling and pod metadata are passed through as given', async () => {
    const out = await helm.template(ALL_OPTIONS);
    const d = out.get<Deployment>('Deployment');
    const pod = d.spec.template.spec;
    expect(operatorOf(d).resources).toEqual(ALL_OPTIONS.resources);
    expect(pod.nodeSelector).toEqual(ALL_OPTIONS.nodeSelector);
    expect(pod.tolerations).toEqual(ALL_OPTIONS.tolerations);
    expect(pod.affinity).toEqual(ALL_OPTIONS.affinity);
    expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(pod.priorityClassName).toBe('system-cluster-critical');
    expect(d.spec.template.metadata.annotations).toEqual({ 'example.com/team': 'edge' });
    expect(d.spec.template.metadata.labels).toMatchObject({ team: 'edge' });
    expect(d.spec.replicas).toBe(2);
  });

  it('operator flags: port, log level, CA delay, namespace and extra args', async () => {
    const out = await helm.template(ALL_OPTIONS);
    const c = operatorOf(out.get<Deployment>('Deployment'));
    expect(c.args).toEqual([
      'operator',
      '--health-address=:9443',
      '--log-level=debug',
      '--ca-propagation-delay=30',
      '--namespace=gateways',
      '--context=prod',
    ]);
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 9443, protocol: 'TCP' }]);
    const svc = out.get<RenderedObject & { spec: { ports: unknown[] } }>('Service');
    expect(svc.spec.ports).toEqual([{ name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' }]);
    expect(svc.metadata).toMatchObject({ annotations: { 'prometheus.io/scrape': 'true' } });
    expect(out.get('ServiceAccount').metadata).toMatchObject({
      name: 'gw-operator',
      annotations: { 'example.com/role': 'operator' },
    });
  });

  it('leaderElection off: --no-leader-elect and no leader-election Role', async () => {
    const out = await helm.template({ leaderElection: { enabled: false } });
    expect(operatorOf(out.get<Deployment>('Deployment')).args).toContain('--no-leader-elect');
    expect(out.ids.filter((id) => id.includes('leader-election'))).toEqual([]);
  });

  it('an existing ServiceAccount and RBAC managed elsewhere: no ServiceAccount or RBAC objects', async () => {
    const out = await helm.template({
      serviceAccount: { create: false, name: 'mine' },
      rbac: { create: false },
    });
    expect(out.ids).toEqual(['Deployment/hg-hybridgate', 'Service/hg-hybridgate-metrics']);
    expect(out.get<Deployment>('Deployment').spec.template.spec.serviceAccountName).toBe('mine');
  });

  it('metrics Service off: no Service', async () => {
    const out = await helm.template({ metrics: { service: { enabled: false } } });
    expect(out.ids.some((id) => id.startsWith('Service/'))).toBe(false);
  });
});

describe('values the chart refuses', () => {
  const cases: [string, object, string[]][] = [
    ['an unknown pull policy', { image: { pullPolicy: 'Sometimes' } }, ["at '/image/pullPolicy'", 'Always']],
    ['a namespace that is not a DNS label', { watchNamespace: 'Bad_NS' }, ["at '/watchNamespace'", 'Bad_NS']],
    ['a misspelt top-level key', { imagee: { tag: 'x' } }, ["additional properties 'imagee' not allowed"]],
    ['a misspelt nested key', { metrics: { serviceMonitor: { enable: true } } }, ["'enable' not allowed"]],
    ['a negative replica count', { replicaCount: -1 }, ["at '/replicaCount'", 'minimum']],
    ['a port out of range', { healthPort: 70000 }, ["at '/healthPort'", 'maximum']],
    [
      'a CPU quantity that is not one',
      { resources: { limits: { cpu: 'lots' } } },
      ["at '/resources/limits/cpu'"],
    ],
    ['an unknown resource section', { resources: { limit: {} } }, ["'limit' not allowed"]],
    [
      'a scrape interval that is not a duration',
      { metrics: { serviceMonitor: { interval: '30' } } },
      ['/metrics/serviceMonitor/interval'],
    ],
    ['a bad digest', { image: { digest: 'latest' } }, ["at '/image/digest'"]],
    ['an unknown log level', { logLevel: 'verbose' }, ["at '/logLevel'"]],
    ['an extra arg that is not a flag', { extraArgs: ['operator'] }, ["at '/extraArgs/0'"]],
    ['a pull secret without a name', { imagePullSecrets: [{}] }, ["at '/imagePullSecrets/0'", 'name']],
  ];
  it.each(cases)('schema: %s', async (_what, values, messages) => {
    const r = await helm.run(['template', 'hg', CHART_DIR], values);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
    for (const m of messages) expect(r.stderr).toContain(m);
  });

  it('several replicas without leader election, with the reason', async () => {
    const r = await helm.run(['template', 'hg', CHART_DIR], {
      replicaCount: 3,
      leaderElection: { enabled: false },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('replicaCount is 3 but leaderElection.enabled is false');
  });

  it('a ServiceMonitor without the metrics Service it scrapes', async () => {
    const r = await helm.run(['template', 'hg', CHART_DIR], {
      metrics: { service: { enabled: false }, serviceMonitor: { enabled: true } },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('metrics.serviceMonitor.enabled needs metrics.service.enabled');
  });

  it('serviceAccount.create false without a name', async () => {
    const r = await helm.run(['template', 'hg', CHART_DIR], { serviceAccount: { create: false } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('serviceAccount.name must name an existing ServiceAccount');
  });
});
