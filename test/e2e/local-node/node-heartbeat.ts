import { KubeApiError, type KubeApi } from './kube-api.js';

/** The capacity the node advertises (the scheduler only needs it to fit pods; nothing is enforced). */
export const NODE_CAPACITY = {
  cpu: '16',
  memory: '64Gi',
  pods: '110',
  'ephemeral-storage': '100Gi',
} as const;

/** Seconds between lease renewals and node status heartbeats (the kubelet's default lease renew is 10s). */
const RENEW_SECONDS = 10;
const LEASE_SECONDS = 40;

/** MicroTime: RFC 3339 with exactly six fractional digits. */
const microTime = () => new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function readyConditions(since: string): Record<string, unknown>[] {
  const at = now();
  const c = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: at,
    lastTransitionTime: since,
  });
  return [
    c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'local node has sufficient memory available'),
    c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'local node has no disk pressure'),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'local node has sufficient PID available'),
    c('Ready', 'True', 'KubeletReady', 'hybridgate local node is posting ready status'),
  ];
}

/**
 * Registers the Node (Ready, capacity, addresses) and keeps it alive as the kubelet does: renews its
 * Lease in kube-node-lease and refreshes the Ready heartbeat, so the node lifecycle controller never
 * marks it NotReady nor evicts its pods. stop() ends the loop (the Node stays; the cluster goes).
 */
export class NodeHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly since = now();

  constructor(
    private readonly api: KubeApi,
    private readonly nodeName: string,
    private readonly address: string,
    private readonly log: (msg: string) => void,
    /** Where the apiserver reaches the node's log endpoint (`kubectl logs`). */
    private readonly kubeletPort?: () => number,
  ) {}

  /** Creates (or takes over) the Node and its Lease, then starts renewing. */
  async start(): Promise<void> {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: this.nodeName,
        labels: {
          'kubernetes.io/hostname': this.nodeName,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
          'hybridgate.dev/local-node': 'true',
        },
      },
      spec: {},
      status: {
        capacity: NODE_CAPACITY,
        allocatable: NODE_CAPACITY,
        conditions: readyConditions(this.since),
        // No Hostname address: the apiserver would prefer it for kubectl logs, and it resolves nowhere.
        addresses: [{ type: 'InternalIP', address: this.address }],
        ...(this.kubeletPort ? { daemonEndpoints: { kubeletEndpoint: { Port: this.kubeletPort() } } } : {}),
        nodeInfo: {
          machineID: '',
          systemUUID: '',
          bootID: '',
          kernelVersion: '',
          osImage: 'hybridgate local node',
          containerRuntimeVersion: 'local://1',
          kubeletVersion: 'v1.34.0',
          kubeProxyVersion: '',
          operatingSystem: 'linux',
          architecture: process.arch === 'x64' ? 'amd64' : process.arch,
        },
      },
    };
    try {
      await this.api.call('POST', '/api/v1/nodes', node);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 409)) throw err;
      await this.api.mergePatch(`/api/v1/nodes/${this.nodeName}/status`, { status: node.status });
    }
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.nodeName, namespace: 'kube-node-lease' },
      spec: { holderIdentity: this.nodeName, leaseDurationSeconds: LEASE_SECONDS, renewTime: microTime() },
    };
    try {
      await this.api.call('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', lease);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 409)) throw err;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.renew(), RENEW_SECONDS * 1000);
  }

  private async renew(): Promise<void> {
    try {
      await this.api.mergePatch(
        `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${this.nodeName}`,
        {
          spec: { holderIdentity: this.nodeName, renewTime: microTime() },
        },
      );
      await this.api.mergePatch(`/api/v1/nodes/${this.nodeName}/status`, {
        status: { conditions: readyConditions(this.since) },
      });
    } catch (err) {
      if (!this.stopped) this.log(`node heartbeat failed error=${JSON.stringify((err as Error).message)}`);
    }
    this.schedule();
  }

  /** Stops renewing. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
