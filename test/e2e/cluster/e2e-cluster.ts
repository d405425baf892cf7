/** A Kubernetes cluster the end-to-end scenarios run against: the local node here, kind where Docker exists. */
export interface E2ECluster {
  /** kubeconfig with admin rights (current context). */
  kubeconfigPath: string;
  /** Directory holding kubectl and helm. */
  binDir: string;
  /** Helm --set values that make the chart's image the Hybridgate image this cluster runs (e.g. image.repository/tag). */
  imageValues: Record<string, string>;
  /** The Hybridgate image reference to put in HybridCluster.spec.image (or undefined for the default). */
  image?: string;
  /** An address of the test process that pods can reach (upstream servers listen there: bind to it). */
  hostAddress: string;
  /** host:port from which the test process reaches port `port` of pod `ns/pod` (local: the pod IP; kind: a port-forward). */
  reachPod(
    namespace: string,
    pod: string,
    port: number,
  ): Promise<{ host: string; port: number; close(): Promise<void> }>;
  /** Runs kubectl with this kubeconfig; resolves with stdout, rejects with stderr on a non-zero exit. */
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<string>;
  /** Runs helm likewise. */
  helm(args: string[], opts?: { timeoutMs?: number }): Promise<string>;
  /** The last lines of a pod's log (for failure messages). */
  podLogTail(namespace: string, pod: string, lines?: number): Promise<string>;
  /** Removes everything it started; safe to call twice. */
  stop(): Promise<void>;
}
