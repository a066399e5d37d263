import {
  LoggerService,
  SchedulerServiceTaskScheduleDefinition,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { HumanDuration } from '@backstage/types';
import path from 'node:path';
import { readPipelineOptions } from './pipeline';
import { DEFAULT_CANARY_OPTIONS } from '../deployments';
import type { CanaryOptions, PipelineOptions } from '../deployments';
import type { SwitchOptions } from '../environments';
import type { ModelIndexOptions } from '../models';
import {
  LocalRuntimeSettings,
  readLocalRuntimeSettings,
} from '../runtimes/local';
import {
  KubernetesRuntimeSettings,
  readKubernetesRuntimeSettings,
} from '../runtimes/kubernetes';
import { MetricSourceSettings, readMetricSourceSettings } from '../sources';
import { RulesOptions, readRulesConfig, readSeconds } from './rules';
import { DEFAULT_DELIVERY_OPTIONS } from '../alerting/DeliveryWorker';
import { DEFAULT_CAPACITY_OPTIONS } from '../capacity';
import type { CapacityOptions } from '../capacity';
import { IANAZone } from 'luxon';
import type { DeliveryOptions } from '../alerting/DeliveryWorker';
import {
  MaintenanceWindow,
  readMaintenanceWindows,
} from '../alerting/Silences';

/**
 * All of `modelOps.*` (and the `kubernetes` clusters the kubernetes runtime uses), read and
 * checked once at start-up into the options each capability's factory takes.
 *
 * @internal
 */
export interface ModelOpsConfig extends RulesOptions {
  models: ModelIndexOptions;
  pipeline: PipelineOptions;
  /** The JSON file of artifacts offered in the Deploy dialog, resolved. */
  artifactIndexFile?: string;
  reconcileSchedule: SchedulerServiceTaskScheduleDefinition;
  canary: CanaryOptions;
  environments: Omit<SwitchOptions, 'inputs'> & {
    cooldownSchedule: SchedulerServiceTaskScheduleDefinition;
    leaseSeconds: number;
    /** When abandoned switches are recovered and runtime traffic is checked against the DB. */
    reconcileSchedule: SchedulerServiceTaskScheduleDefinition;
  };
  demo: {
    bootstrap: boolean;
    version: string;
    schedule: SchedulerServiceTaskScheduleDefinition;
    /** Seed 30 days of history for the demo models (default: as `bootstrap`). */
    history: boolean;
    historySchedule: SchedulerServiceTaskScheduleDefinition;
  };
  permissions: {
    /** Service principals (their subjects) that may mutate, alone or acting for a user. */
    allowedServicePrincipals: string[];
  };
  monitoring: {
    schedule: SchedulerServiceTaskScheduleDefinition;
    /** The tick's frequency in seconds: values older than three ticks are stale. */
    intervalSeconds: number;
    sampleRetentionDays: number;
    rollupRetentionDays: number;
    /** How long resolved alerts are kept. */
    alertRetentionDays: number;
    retentionSchedule: SchedulerServiceTaskScheduleDefinition;
  };
  /** How alert notifications are sent and retried. */
  delivery: DeliveryOptions;
  /** How alerts of an existing Alertmanager name their model. */
  alertmanager: { modelLabel: string };
  /** The configured maintenance windows (`modelOps.alerts.maintenanceWindows`). */
  maintenanceWindows: MaintenanceWindow[];
  /** How long after a deployment or switch an alert names it as its preceding change. */
  changeWindowMs: number;
  /** The portal's address (`app.baseUrl`), for links in notifications. */
  baseUrl?: string;
  /** Capacity planning's settings (`modelOps.capacity`, besides the cost models). */
  capacity: CapacityOptions;
  /** When each model's capacity summary for the Model Ops page is computed. */
  capacitySummarySchedule: SchedulerServiceTaskScheduleDefinition;
  metrics: MetricSourceSettings;
  local: LocalRuntimeSettings;
  /** Undefined when no cluster is configured. */
  kubernetes?: KubernetesRuntimeSettings;
}

/** The defaults of every task's schedule, overridable in config. */
export const DEFAULT_SCHEDULES = {
  models: {
    frequency: { seconds: 30 },
    timeout: { minutes: 2 },
    initialDelay: { seconds: 0 },
  },
  monitoring: { frequency: { seconds: 60 }, timeout: { minutes: 5 } },
  retention: {
    frequency: { minutes: 30 },
    timeout: { minutes: 10 },
    initialDelay: { minutes: 1 },
  },
  reconcile: {
    frequency: { seconds: 30 },
    timeout: { minutes: 5 },
    initialDelay: { seconds: 2 },
  },
  cooldown: {
    frequency: { seconds: 15 },
    timeout: { minutes: 2 },
    initialDelay: { seconds: 15 },
  },
  demo: {
    frequency: { seconds: 15 },
    timeout: { minutes: 2 },
    initialDelay: { seconds: 5 },
  },
  // Seeding takes up to a minute; once every demo model has history a run reads one row.
  demoHistory: {
    frequency: { minutes: 1 },
    timeout: { minutes: 15 },
    initialDelay: { seconds: 10 },
  },
  // A 7-day report of every model; after the demo history has been seeded.
  capacitySummaries: {
    frequency: { minutes: 15 },
    timeout: { minutes: 14 },
    initialDelay: { seconds: 90 },
  },
} satisfies Record<string, SchedulerServiceTaskScheduleDefinition>;

/** The defaults of the canary analysis. */
export const DEFAULT_CANARY: CanaryOptions = DEFAULT_CANARY_OPTIONS;

/** The defaults of a traffic switch, its lease and its recovery. */
export const DEFAULT_SWITCH = {
  probes: 10,
  healthWatchSeconds: 10,
  watchIntervalMs: 50,
  warmSeconds: 300,
  leaseSeconds: 30,
  reconcileSchedule: {
    frequency: { seconds: 15 },
    timeout: { minutes: 2 },
    initialDelay: { seconds: 5 },
  } satisfies SchedulerServiceTaskScheduleDefinition,
};

/** `modelOps.demo`: the bootstrap and the seeded history, which follows it unless set. */
function readDemo(config: Config): ModelOpsConfig['demo'] {
  const bootstrap =
    config.getOptionalBoolean('modelOps.demo.bootstrap') ?? false;
  return {
    bootstrap,
    version: config.getOptionalString('modelOps.demo.version') ?? '1.0.0',
    schedule: schedule(
      config,
      'modelOps.demo.schedule',
      DEFAULT_SCHEDULES.demo,
    ),
    history: config.getOptionalBoolean('modelOps.demo.history') ?? bootstrap,
    historySchedule: schedule(
      config,
      'modelOps.demo.historySchedule',
      DEFAULT_SCHEDULES.demoHistory,
    ),
  };
}

/** `modelOps.alerts.delivery`: the outbox's retries, give-up age, claims and schedule. */
function readDelivery(config: Config): DeliveryOptions {
  const key = 'modelOps.alerts.delivery';
  const d = DEFAULT_DELIVERY_OPTIONS;
  const seconds = (name: string, fallback: number) =>
    config.has(`${key}.${name}`)
      ? readSeconds(config, `${key}.${name}`, `${key}.${name}`)
      : fallback;
  const options: DeliveryOptions = {
    maxAgeSeconds: seconds('maxAge', d.maxAgeSeconds),
    initialBackoffSeconds: seconds('initialBackoff', d.initialBackoffSeconds),
    maxBackoffSeconds: seconds('maxBackoff', d.maxBackoffSeconds),
    leaseSeconds: seconds('lease', d.leaseSeconds),
    batchSize: number(config, `${key}.batchSize`, d.batchSize, {
      integer: true,
      min: 1,
      max: 1000,
    }),
    schedule: schedule(config, `${key}.schedule`, d.schedule),
  };
  if (options.maxBackoffSeconds < options.initialBackoffSeconds) {
    throw new Error(
      `Invalid ${key}.maxBackoff: it must be at least ${key}.initialBackoff`,
    );
  }
  return options;
}

function schedule(
  config: Config,
  key: string,
  fallback: SchedulerServiceTaskScheduleDefinition,
): SchedulerServiceTaskScheduleDefinition {
  if (!config.has(key)) return fallback;
  try {
    return readSchedulerServiceTaskScheduleDefinitionFromConfig(
      config.getConfig(key),
    );
  } catch (error) {
    throw new Error(`Invalid schedule at ${key}: ${(error as Error).message}`);
  }
}

function number(
  config: Config,
  key: string,
  fallback: number,
  check: { min?: number; max?: number; integer?: boolean; above?: number } = {},
): number {
  const value = config.getOptionalNumber(key);
  if (value === undefined) return fallback;
  const problems: string[] = [];
  if (check.integer && !Number.isInteger(value))
    problems.push('a whole number');
  if (check.above !== undefined && !(value > check.above))
    problems.push(`above ${check.above}`);
  if (check.min !== undefined && value < check.min)
    problems.push(`at least ${check.min}`);
  if (check.max !== undefined && value > check.max)
    problems.push(`at most ${check.max}`);
  if (problems.length) {
    throw new Error(
      `Invalid value ${value} at ${key}: expected ${problems.join(', ')}`,
    );
  }
  return value;
}

/** `modelOps.capacity`: the target utilization, time zone, projection minimum and lead time. */
function readCapacity(config: Config): CapacityOptions {
  const key = 'modelOps.capacity';
  const d = DEFAULT_CAPACITY_OPTIONS;
  const timeZone = config.getOptionalString(`${key}.timeZone`) ?? d.timeZone;
  if (!IANAZone.isValidZone(timeZone)) {
    throw new Error(
      `Invalid time zone "${timeZone}" at ${key}.timeZone; expected an IANA name such as UTC or Europe/Berlin`,
    );
  }
  return {
    targetUtilization: number(
      config,
      `${key}.targetUtilization`,
      d.targetUtilization,
      { above: 0, max: 100 },
    ),
    timeZone,
    minProjectionDays: number(
      config,
      `${key}.minProjectionDays`,
      d.minProjectionDays,
      { integer: true, min: 3, max: 90 },
    ),
    actLeadDays: number(config, `${key}.actLeadDays`, d.actLeadDays, {
      integer: true,
      min: 0,
      max: 365,
    }),
  };
}

function frequencySeconds(
  definition: SchedulerServiceTaskScheduleDefinition,
): number {
  const frequency = definition.frequency as
    | HumanDuration
    | { cron: string }
    | { trigger: string };
  if ('cron' in frequency || 'trigger' in frequency) return 60;
  const d = frequency as HumanDuration;
  const seconds =
    (d.milliseconds ?? 0) / 1000 +
    (d.seconds ?? 0) +
    (d.minutes ?? 0) * 60 +
    (d.hours ?? 0) * 3600 +
    (d.days ?? 0) * 86400 +
    (d.weeks ?? 0) * 604800;
  return seconds > 0 ? seconds : 60;
}

function readCanary(config: Config): CanaryOptions {
  const raw = config.getOptional('modelOps.canary.steps');
  const steps = Array.isArray(raw) ? raw : undefined;
  const rising =
    steps !== undefined &&
    steps.length > 0 &&
    steps.every(
      (s, i) =>
        typeof s === 'number' &&
        s > 0 &&
        s <= 100 &&
        (i === 0 || s > (steps[i - 1] as number)),
    ) &&
    steps[steps.length - 1] === 100;
  if (raw !== undefined && !rising) {
    throw new Error(
      'Invalid modelOps.canary.steps: expected rising percentages above 0 that end at 100, e.g. [10, 50, 100]',
    );
  }
  return {
    steps: (steps as number[] | undefined) ?? DEFAULT_CANARY.steps,
    stepSeconds: number(
      config,
      'modelOps.canary.stepSeconds',
      DEFAULT_CANARY.stepSeconds,
      { above: 0 },
    ),
    analysisIntervalMs: number(
      config,
      'modelOps.canary.analysisIntervalMs',
      DEFAULT_CANARY.analysisIntervalMs,
      { min: 0 },
    ),
    maxLatencyRatio: number(
      config,
      'modelOps.canary.maxLatencyRatio',
      DEFAULT_CANARY.maxLatencyRatio,
      {
        min: 1,
      },
    ),
    maxErrorRateIncreasePct: number(
      config,
      'modelOps.canary.maxErrorRateIncreasePct',
      DEFAULT_CANARY.maxErrorRateIncreasePct,
      { min: 0, max: 100 },
    ),
  };
}

/**
 * Reads and validates the whole configuration once. A bad value fails the start with the key
 * and what is allowed; nothing is silently defaulted.
 *
 * @internal
 */
export async function readModelOpsConfig(
  config: Config,
  options: { workingDirectory?: string; logger?: LoggerService } = {},
): Promise<ModelOpsConfig> {
  const workingDirectory = options.workingDirectory ?? process.cwd();
  const rules = readRulesConfig(config);
  const pipeline = await readPipelineOptions(config, workingDirectory);
  const artifactIndex = config.getOptionalString('modelOps.artifacts.index');
  const monitoringSchedule = schedule(
    config,
    'modelOps.monitoring.schedule',
    DEFAULT_SCHEDULES.monitoring,
  );
  return {
    ...rules,
    models: {
      schedule: schedule(
        config,
        'modelOps.models.refreshSchedule',
        DEFAULT_SCHEDULES.models,
      ),
      maxAgeMs:
        number(config, 'modelOps.models.maxAgeSeconds', 60, { above: 0 }) *
        1000,
    },
    pipeline,
    artifactIndexFile: artifactIndex
      ? path.resolve(pipeline.fileRoot, artifactIndex)
      : undefined,
    reconcileSchedule: schedule(
      config,
      'modelOps.pipeline.reconcileSchedule',
      DEFAULT_SCHEDULES.reconcile,
    ),
    canary: readCanary(config),
    environments: {
      probes: number(
        config,
        'modelOps.environments.probes',
        DEFAULT_SWITCH.probes,
        {
          integer: true,
          min: 1,
        },
      ),
      healthWatchSeconds: number(
        config,
        'modelOps.environments.healthWatchSeconds',
        DEFAULT_SWITCH.healthWatchSeconds,
        { min: 0 },
      ),
      watchIntervalMs: number(
        config,
        'modelOps.environments.watchIntervalMs',
        DEFAULT_SWITCH.watchIntervalMs,
        { min: 0 },
      ),
      warmSeconds: number(
        config,
        'modelOps.environments.warmSeconds',
        DEFAULT_SWITCH.warmSeconds,
        {
          min: 0,
        },
      ),
      cooldownSchedule: schedule(
        config,
        'modelOps.environments.cooldownSchedule',
        DEFAULT_SCHEDULES.cooldown,
      ),
      leaseSeconds: number(
        config,
        'modelOps.environments.leaseSeconds',
        DEFAULT_SWITCH.leaseSeconds,
        { min: 1 },
      ),
      reconcileSchedule: schedule(
        config,
        'modelOps.environments.reconcileSchedule',
        DEFAULT_SWITCH.reconcileSchedule,
      ),
    },
    demo: readDemo(config),
    permissions: {
      allowedServicePrincipals:
        config.getOptionalStringArray(
          'modelOps.permissions.allowedServicePrincipals',
        ) ?? [],
    },
    monitoring: {
      schedule: monitoringSchedule,
      intervalSeconds: frequencySeconds(monitoringSchedule),
      sampleRetentionDays: number(
        config,
        'modelOps.monitoring.sampleRetentionDays',
        7,
        { above: 0 },
      ),
      rollupRetentionDays: number(
        config,
        'modelOps.monitoring.rollupRetentionDays',
        90,
        {
          above: 0,
        },
      ),
      alertRetentionDays: number(
        config,
        'modelOps.monitoring.alertRetentionDays',
        30,
        { above: 0 },
      ),
      retentionSchedule: schedule(
        config,
        'modelOps.monitoring.retentionSchedule',
        DEFAULT_SCHEDULES.retention,
      ),
    },
    delivery: readDelivery(config),
    alertmanager: {
      modelLabel:
        config.getOptionalString('modelOps.alerts.alertmanager.modelLabel') ??
        'model_id',
    },
    maintenanceWindows: readMaintenanceWindows(config),
    changeWindowMs:
      number(config, 'modelOps.alerts.changeWindowMinutes', 30, {
        min: 0,
        max: 24 * 60,
      }) * 60_000,
    baseUrl: config.getOptionalString('app.baseUrl'),
    capacity: readCapacity(config),
    capacitySummarySchedule: schedule(
      config,
      'modelOps.capacity.summarySchedule',
      DEFAULT_SCHEDULES.capacitySummaries,
    ),
    metrics: readMetricSourceSettings(config, workingDirectory),
    local: readLocalRuntimeSettings(config, { workingDirectory }),
    kubernetes: readKubernetesRuntimeSettings(config, {
      logger: options.logger,
    }),
  };
}
