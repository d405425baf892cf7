import { connect } from 'node:net';
import { Agent, request } from 'undici';
import type { Container, Probe } from './pod-types.js';

/** The outcome of one probe: success, or why not (as the kubelet's event message would say). */
export type ProbeResult = { ok: true } | { ok: false; message: string };

/** A port by number or by the container's port name. */
function resolvePort(container: Container, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** Runs one probe attempt from the host against the pod IP (httpGet: 200-399 passes; tcpSocket: connects). */
export async function probeOnce(probe: Probe, container: Container, podIP: string): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) {
    const port = resolvePort(container, probe.httpGet.port);
    if (port === undefined) return { ok: false, message: `unknown port ${probe.httpGet.port}` };
    const scheme = (probe.httpGet.scheme ?? 'HTTP').toLowerCase();
    const host = probe.httpGet.host ?? podIP;
    const path = probe.httpGet.path ?? '/';
    const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path.startsWith('/') ? path : `/${path}`}`;
    try {
      const res = await request(url, {
        headers: Object.fromEntries((probe.httpGet.httpHeaders ?? []).map((h) => [h.name, h.value])),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
        // The kubelet skips verification for HTTPS probes.
        ...(scheme === 'https' ? { dispatcher: insecureAgent() } : {}),
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 400) return { ok: true };
      return { ok: false, message: `HTTP probe failed with statuscode: ${res.statusCode}` };
    } catch (err) {
      return { ok: false, message: `Get "${url}": ${(err as Error).message}` };
    }
  }
  if (probe.tcpSocket) {
    const port = resolvePort(container, probe.tcpSocket.port);
    if (port === undefined) return { ok: false, message: `unknown port ${probe.tcpSocket.port}` };
    const host = probe.tcpSocket.host ?? podIP;
    return new Promise((resolve) => {
      const socket = connect({ host, port, timeout: timeoutMs });
      socket.once('connect', () => {
        socket.destroy();
        resolve({ ok: true });
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
      });
      socket.once('error', (err) =>
        resolve({ ok: false, message: `dial tcp ${host}:${port}: ${err.message}` }),
      );
    });
  }
  return { ok: false, message: 'only httpGet and tcpSocket probes are supported by the local node' };
}

let insecure: Agent | undefined;
function insecureAgent(): Agent {
  // Lazily, so that runs without HTTPS probes keep no extra pool.
  insecure ??= new Agent({ connect: { rejectUnauthorized: false } });
  return insecure;
}

/**
 * One probe of one container run on its schedule (initialDelaySeconds, then every periodSeconds),
 * turning results into a state with the kubelet's thresholds: `onChange(true|false)` fires when
 * successThreshold successes / failureThreshold failures in a row flip it. stop() ends it.
 */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  /** The current verdict (undefined until the first threshold is reached). */
  state: boolean | undefined;
  /** The last failure message (for status and logs). */
  lastMessage = '';

  constructor(
    private readonly probe: Probe,
    private readonly container: Container,
    private readonly podIP: string,
    private readonly onChange: (ok: boolean, message: string) => void,
  ) {
    this.schedule((probe.initialDelaySeconds ?? 0) * 1000);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    const result = await probeOnce(this.probe, this.container, this.podIP);
    if (this.stopped) return;
    if (result.ok) {
      this.failures = 0;
      this.successes++;
      if (this.state !== true && this.successes >= (this.probe.successThreshold ?? 1)) {
        this.state = true;
        this.onChange(true, '');
      }
    } else {
      this.successes = 0;
      this.failures++;
      this.lastMessage = result.message;
      if (this.state !== false && this.failures >= (this.probe.failureThreshold ?? 3)) {
        this.state = false;
        this.onChange(false, result.message);
      }
    }
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }

  /** Stops probing (the container is gone or restarting). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
