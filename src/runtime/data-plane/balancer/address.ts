import type { HealthEntry } from '../healthcheck/health-checker.js';
import type { Target } from './balancer.js';

/**
 * One resolved address of a target: what algorithms pick. `peer` is allocated once and handed to the
 * proxy on every pick, so picks allocate nothing and report/release find the address by identity.
 */
export interface Address {
  readonly peer: Target;
  readonly weight: number;
  readonly health: HealthEntry;
  /** Requests in flight (least-connections). */
  active: number;
  /** Smooth weighted round-robin state. */
  current: number;
}

/** Whether an address may be picked now: healthy and not already failed in this request. */
export function available(a: Address, tried: readonly Target[]): boolean {
  if (!a.health.healthy) return false;
  for (let i = 0; i < tried.length; i++) {
    const t = tried[i]!;
    if (t === a.peer || (t.host === a.peer.host && t.port === a.peer.port)) return false;
  }
  return true;
}
