import type { Server } from 'node:net';

/**
 * Connection and request counters of the Admin API's listeners, for `GET /status` (Kong shows nginx's
 * stub_status there). Shared by every listener of the node, so the numbers cover all of them.
 */
export class ServerCounters {
  private accepted = 0;
  private active = 0;
  private inFlight = 0;
  private requests = 0;

  /** Counts the connections of one listener. */
  watch(server: Server): void {
    server.on('connection', (socket) => {
      this.accepted++;
      this.active++;
      socket.once('close', () => {
        this.active--;
      });
    });
    // TLS listeners report accepted TCP connections as 'secureConnection' after the handshake only;
    // 'connection' fires for both, so nothing more to count here.
  }

  /** Marks a request start; the returned function marks its end. */
  requestStarted(): () => void {
    this.requests++;
    this.inFlight++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight--;
    };
  }

  /** Kong's `server` block of `/status`. */
  snapshot(): Record<string, number> {
    return {
      connections_accepted: this.accepted,
      connections_active: this.active,
      connections_handled: this.accepted,
      connections_reading: 0,
      connections_writing: this.inFlight,
      connections_waiting: Math.max(0, this.active - this.inFlight),
      total_requests: this.requests,
    };
  }
}
