import { LoggerService } from '@backstage/backend-plugin-api';
import { SwitchStore } from './SwitchStore';

/**
 * Thrown by {@link SwitchLease.assertHeld} once the lease is lost.
 *
 * @internal
 */
export class SwitchLeaseLost extends Error {
  constructor(switchId: string, owner: string) {
    super(
      `${owner} lost the lease of switch ${switchId}; whoever took it over completes or reverts it`,
    );
    this.name = 'SwitchLeaseLost';
  }
}

/**
 * The lease a switcher holds on the switch it is making, renewed in the background at a third
 * of its length. Once a renewal finds the switch taken over, or no renewal has succeeded for a
 * whole lease (the database was unreachable, so another process may already have taken it),
 * the lease counts as lost: `signal` aborts and `assertHeld` throws, so the switcher stops
 * moving traffic at once and leaves the switch to whoever holds it now.
 *
 * @internal
 */
export class SwitchLease {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private lastRenewed = performance.now();
  private renewing?: Promise<void>;

  constructor(
    private readonly deps: {
      switches: Pick<SwitchStore, 'renew'>;
      logger: LoggerService;
      switchId: string;
      owner: string;
      seconds: number;
    },
  ) {
    this.timer = setInterval(() => {
      this.renewing ??= this.renew().finally(() => {
        this.renewing = undefined;
      });
    }, Math.max(50, (deps.seconds * 1000) / 3));
    this.timer.unref?.();
  }

  /** Aborts when the lease is lost. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get lost(): boolean {
    return this.controller.signal.aborted || this.overdue();
  }

  /** Throws when the lease is lost: call it before every side effect. */
  assertHeld(): void {
    if (this.lost) {
      this.lose('no renewal succeeded within the lease');
      throw new SwitchLeaseLost(this.deps.switchId, this.deps.owner);
    }
  }

  /** Stops renewing; the switch's end (commit or fail) releases the lease. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.renewing;
  }

  private overdue(): boolean {
    return performance.now() - this.lastRenewed >= this.deps.seconds * 1000;
  }

  private async renew(): Promise<void> {
    if (this.controller.signal.aborted) return;
    const { switches, switchId, owner, seconds, logger } = this.deps;
    try {
      if (await switches.renew(switchId, owner, seconds)) {
        this.lastRenewed = performance.now();
        return;
      }
      this.lose('it was taken over');
    } catch (error) {
      logger.warn(`Renewing the lease of switch ${switchId} failed: ${error}`);
      if (this.overdue()) this.lose('no renewal succeeded within the lease');
    }
  }

  private lose(why: string) {
    if (this.controller.signal.aborted) return;
    this.deps.logger.warn(
      `${this.deps.owner} lost the lease of switch ${this.deps.switchId}: ${why}`,
    );
    this.controller.abort();
    clearInterval(this.timer);
  }
}
