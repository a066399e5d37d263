import {
  LoggerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import {
  AlertChannel,
  AlertDeliveryResult,
} from '@model-ops/plugin-model-ops-node';
import { randomUUID } from 'node:crypto';
import { PluginTask } from '../lib/tasks';
import { ClaimedDelivery, DeliveryStore } from './DeliveryStore';

/** How deliveries are sent and retried. */
export interface DeliveryOptions {
  /** A row failing for longer than this since it was written is given up. */
  maxAgeSeconds: number;
  /** The first retry's delay; each next one doubles, up to `maxBackoffSeconds`. */
  initialBackoffSeconds: number;
  maxBackoffSeconds: number;
  /** How long a replica's claim on a row lasts; longer than any send. */
  leaseSeconds: number;
  /** Rows claimed, and sent at once, per round. */
  batchSize: number;
  schedule: SchedulerServiceTaskScheduleDefinition;
}

/** @internal */
export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = {
  maxAgeSeconds: 24 * 3600,
  initialBackoffSeconds: 5,
  maxBackoffSeconds: 600,
  leaseSeconds: 120,
  batchSize: 50,
  schedule: { frequency: { seconds: 5 }, timeout: { minutes: 5 } },
};

/** What one round of the worker did. */
export interface DeliveryRound {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
}

/**
 * The delivery task, on every replica: claims due rows of the outbox, sends each through its
 * channel, records the attempt, and either finishes the row or schedules the next try with
 * exponential backoff and full jitter, until the row's age passes `maxAgeSeconds` (or the
 * receiver refuses it for good: a 4xx), when it is marked failed. Rows are claimed under a
 * lease, so two replicas never send one row at once, and a replica that dies leaves its rows
 * to the others once the lease runs out.
 *
 * @internal
 */
export class DeliveryWorker implements PluginTask {
  readonly id = 'model-ops-alert-delivery';
  readonly scope = 'local' as const;
  readonly schedule: SchedulerServiceTaskScheduleDefinition;
  private readonly owner: string;

  constructor(
    private readonly deps: {
      store: DeliveryStore;
      getChannel: (id: string) => AlertChannel | undefined;
      logger: LoggerService;
      options: DeliveryOptions;
      now?: () => Date;
      /** In [0, 1): the jitter of backoffs. */
      random?: () => number;
      owner?: string;
    },
  ) {
    this.schedule = deps.options.schedule;
    this.owner = deps.owner ?? `delivery-${randomUUID()}`;
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }

  /** Sends until nothing is due (bounded: at most 100 rounds per run). */
  async run(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      const result = await this.runOnce();
      if (result.claimed === 0) return;
    }
  }

  /** One round: claims a batch and sends it. */
  async runOnce(): Promise<DeliveryRound> {
    const { options } = this.deps;
    const claimed = await this.deps.store.claim({
      owner: this.owner,
      limit: options.batchSize,
      leaseMs: options.leaseSeconds * 1000,
      now: this.now(),
    });
    const round: DeliveryRound = {
      claimed: claimed.length,
      sent: 0,
      retried: 0,
      failed: 0,
    };
    await Promise.all(
      claimed.map(async delivery => {
        const outcome = await this.send(delivery);
        round[outcome] += 1;
      }),
    );
    return round;
  }

  /** The delay before the `attempt`th retry (1 = the first), with full jitter over its upper half. */
  backoffMs(attempt: number): number {
    const { initialBackoffSeconds, maxBackoffSeconds } = this.deps.options;
    const ceiling = Math.min(
      maxBackoffSeconds,
      initialBackoffSeconds * 2 ** Math.max(0, attempt - 1),
    );
    const random = this.deps.random ?? Math.random;
    return Math.round(ceiling * 1000 * (0.5 + random() / 2));
  }

  private async send(
    delivery: ClaimedDelivery,
  ): Promise<'sent' | 'retried' | 'failed'> {
    const channel = this.deps.getChannel(delivery.channelId);
    const started = performance.now();
    const attemptedAt = this.now();
    let result: AlertDeliveryResult;
    if (!channel) {
      result = {
        ok: false,
        retryable: false,
        detail: `no alert channel "${delivery.channelId}" is configured`,
      };
    } else {
      try {
        result = await channel.send(delivery.notification);
      } catch (error) {
        result = { ok: false, retryable: true, detail: String(error) };
      }
    }
    const latencyMs = performance.now() - started;
    const age = attemptedAt.getTime() - delivery.createdAt.getTime();
    let retryAt: Date | undefined;
    if (
      !result.ok &&
      result.retryable &&
      age < this.deps.options.maxAgeSeconds * 1000
    ) {
      retryAt = new Date(
        attemptedAt.getTime() + this.backoffMs(delivery.attempts + 1),
      );
    }
    const finished = await this.deps.store.finish({
      seq: delivery.seq,
      owner: this.owner,
      result,
      latencyMs,
      attemptedAt,
      retryAt,
    });
    if (!finished) {
      this.deps.logger.warn(
        `Delivery ${delivery.notification.id} to ${delivery.channelId}: the claim ran out while sending; another replica may send it again`,
      );
    }
    if (result.ok) return 'sent';
    if (retryAt) {
      this.deps.logger.info(
        `Delivery ${delivery.notification.id} to ${
          delivery.channelId
        } failed (${
          result.detail ?? 'no detail'
        }); retrying at ${retryAt.toISOString()}`,
      );
      return 'retried';
    }
    this.deps.logger.warn(
      `Delivery ${delivery.notification.id} to ${
        delivery.channelId
      } failed for good after ${delivery.attempts + 1} attempts: ${
        result.detail ?? 'no detail'
      }`,
    );
    return 'failed';
  }
}
