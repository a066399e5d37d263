import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  /** Configuration of the Model Ops plugins. */
  modelOps?: {
    /**
     * Threshold rule sets, chosen per model with the `model-ops/rules` annotation. A set named
     * `default` replaces the built-in one (response time > 5 s warning, > 10 s critical; error
     * rate > 5 % / 10 %; CPU > 80 % / 90 %; memory > 85 % / 95 %).
     */
    rules?: {
      [name: string]: Array<{
        /** The alert type the rule raises, e.g. `high_error_rate`. Routes are keyed by it. */
        alert: string;
        /**
         * responseTimeP50, responseTimeP95 (ms), throughput (req/s), errorRate, cpu, memory,
         * disk (%), costPerRequest (USD).
         */
        metric: string;
        /** `>` (default) fires above the levels, `<` below them. */
        operator?: '>' | '<';
        warning: number;
        critical: number;
        /** How long the level must hold before the alert fires, e.g. `2m`. Default 1 minute. */
        for?: string;
      }>;
    };
    alerts?: {
      /**
       * Alert routes, chosen per model with the `model-ops/alert-route` annotation. A route
       * named `default` replaces the built-in one.
       */
      routes?: {
        [name: string]: {
          /** Channels and escalation per alert type. */
          byType?: {
            [alertType: string]: {
              channels: string[];
              escalation?: {
                /** How many alerts of the type within the window escalate. */
                threshold: number;
                /** The window, e.g. `180s` or `5m`. */
                window: string;
                channels: string[];
              };
            };
          };
          /** Channels for alert types the route does not list. Default: notifications. */
          fallback?: string[];
        };
      };
    };
    capacity?: {
      /**
       * Cost models, chosen per model with the `model-ops/cost` annotation.
       */
      costModels?: {
        [name: string]: {
          /** Price of one instance-hour in USD. */
          instanceHourUsd: number;
          /** Instances a slot runs. Default 1. */
          instances?: number;
        };
      };
    };
    /** Settings of the built-in `local` runtime (child processes on this host). */
    local?: {
      /** Where the runtime keeps its state and logs. Default `.model-ops/local` in the working directory. */
      stateDir?: string;
    };
    monitoring?: {
      /** How often metrics are collected. Default every 60 seconds. */
      schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
    };
  };
}
