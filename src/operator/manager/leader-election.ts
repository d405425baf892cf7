import type { Logger } from '../../shared/logger.js';
import { errorMessage } from '../../shared/errors.js';
import { microTime, type Lease, type LeaseStore } from '../kube/lease-store.js';
import { realClock, type Clock } from './clock.js';

/** Timing and identity of leader election (client-go's defaults: 15 s lease, 10 s renew deadline, 2 s retry). */
export interface LeaderElectionOptions {
  store: LeaseStore;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  logger: Logger;
  /** Called on becoming leader; `signal` aborts when leadership ends. */
  onStartedLeading(signal: AbortSignal): void;
  /** Called when leadership ends (lost, or released on stop). */
  onStoppedLeading?(reason: 'lost' | 'released'): void;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection: a candidate takes
 * the lease when it is free or its holder has not renewed it for a lease duration (measured on the
 * local clock from when this candidate saw the record change, so clock skew between replicas does not
 * matter); the leader renews every retry period and steps down if it cannot renew within the renew
 * deadline. On stop the leader releases the lease so a successor need not wait for it to expire.
 */
export class LeaderElector {
  private readonly o: Required<Omit<LeaderElectionOptions, 'onStoppedLeading' | 'clock'>> & {
    clock: Clock;
    onStoppedLeading?: LeaderElectionOptions['onStoppedLeading'];
  };
  private observed: { record: string; at: number } | undefined;
  private lease: Lease | undefined;
  private leading = false;
  private abandoned = false;
  private readonly log: Logger;

  constructor(opts: LeaderElectionOptions) {
    this.o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      ...opts,
      clock: opts.clock ?? realClock,
    };
    if (this.o.renewDeadlineMs >= this.o.leaseDurationMs) {
      throw new RangeError('leader election: renewDeadline must be shorter than leaseDuration');
    }
    this.log = opts.logger.child({
      lease: `${opts.store.namespace}/${opts.store.name}`,
      identity: opts.identity,
    });
  }

  /** Whether this candidate holds the lease now. */
  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaigns until elected, leads (renewing) until the lease is lost or `signal` aborts, then returns
   * why leadership ended ('released' after giving the lease up on abort; 'lost' when renewal failed,
   * after which the process should exit as controller-runtime's managers do); undefined if `signal`
   * aborted before it was ever elected.
   */
  async run(signal: AbortSignal): Promise<'lost' | 'released' | undefined> {
    while (!signal.aborted) {
      if (!(await this.tryAcquireOrRenew())) {
        await this.o.clock.sleep(this.o.retryPeriodMs, signal);
        continue;
      }
      this.log.info('became leader');
      this.leading = true;
      const leadership = new AbortController();
      this.o.onStartedLeading(leadership.signal);
      const reason = await this.renewLoop(signal);
      this.leading = false;
      leadership.abort();
      if (reason === 'released' && !this.abandoned) await this.release();
      this.log.info({ reason }, 'stopped leading');
      this.o.onStoppedLeading?.(reason);
      return reason;
    }
    return undefined;
  }

  /** Makes the next stop leave the lease to expire instead of releasing it (a crash, in tests). */
  abandon(): void {
    this.abandoned = true;
  }

  private async renewLoop(signal: AbortSignal): Promise<'lost' | 'released'> {
    let lastRenew = this.o.clock.now();
    while (!signal.aborted) {
      await this.o.clock.sleep(this.o.retryPeriodMs, signal);
      if (signal.aborted) break;
      if (await this.tryAcquireOrRenew()) {
        lastRenew = this.o.clock.now();
      } else if (this.o.clock.now() - lastRenew >= this.o.renewDeadlineMs) {
        return 'lost';
      } else if (this.lease?.spec.holderIdentity && this.lease.spec.holderIdentity !== this.o.identity) {
        return 'lost';
      }
    }
    return 'released';
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.o.clock.now();
    const spec = (prev?: Lease['spec']): Lease['spec'] => ({
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      acquireTime:
        prev?.holderIdentity === this.o.identity && prev.acquireTime ? prev.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions:
        (prev?.leaseTransitions ?? 0) + (prev?.holderIdentity === this.o.identity ? 0 : prev ? 1 : 0),
    });
    try {
      const current = await this.o.store.get();
      if (!current) {
        this.lease = await this.o.store.create(spec());
        this.observe(this.lease, now);
        return true;
      }
      this.lease = current;
      this.observe(current, now);
      const holder = current.spec.holderIdentity ?? '';
      const duration = (current.spec.leaseDurationSeconds ?? 15) * 1000;
      const expired = this.observed!.at + duration <= now;
      if (holder !== '' && holder !== this.o.identity && !expired) return false;
      this.lease = await this.o.store.update(current, spec(current.spec));
      this.observe(this.lease, now);
      return true;
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'failed to acquire or renew lease');
      return false;
    }
  }

  // Remember when (on our clock) the lease record last changed; expiry is judged from that.
  private observe(lease: Lease, now: number): void {
    const record = JSON.stringify(lease.spec);
    if (this.observed?.record !== record) this.observed = { record, at: now };
  }

  private async release(): Promise<void> {
    if (!this.lease || this.lease.spec.holderIdentity !== this.o.identity) return;
    try {
      const now = microTime(this.o.clock.now());
      await this.o.store.update(this.lease, {
        ...this.lease.spec,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        renewTime: now,
      });
      this.log.info('released lease');
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'failed to release lease');
    }
  }
}
