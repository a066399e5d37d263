import { Config } from '@backstage/config';
import {
  AlertRoute,
  AlertRouteEntry,
  DEFAULT_ALERT_ROUTE,
  DEFAULT_RULE_SET,
  MODEL_METRIC_KEYS,
  ModelMetric,
  RuleSet,
  ThresholdRule,
} from '@model-ops/plugin-model-ops-common';
import { readDurationFromConfig } from '@backstage/config';
import type { CostModel } from '../capacity';
import { durationToMilliseconds } from '@backstage/types';

/**
 * The named rule sets, alert routes and cost models of `modelOps`.
 *
 * @internal
 */
export interface RulesOptions {
  ruleSets: Map<string, RuleSet>;
  alertRoutes: Map<string, AlertRoute>;
  costModels: Map<string, CostModel>;
}

/** The cost model used when none is configured: a small instance at $0.10 an hour. */
export const DEFAULT_COST_MODEL: CostModel = {
  name: 'default',
  currency: 'USD',
  instanceHourUsd: 0.1,
  instances: 1,
};

/**
 * A duration in seconds, through Backstage's own reader: `90s`, `5m`, `1h`, ISO 8601 (`PT5M`)
 * or `{ minutes: 5 }`. The error names the full key.
 *
 * @internal
 */
export function readSeconds(
  config: Config,
  key: string,
  fullKey: string,
): number {
  let ms: number;
  try {
    ms = durationToMilliseconds(readDurationFromConfig(config, { key }));
  } catch (error) {
    throw new Error(
      `Invalid duration at ${fullKey}: ${(error as Error).message}`,
    );
  }
  if (!(ms > 0)) {
    throw new Error(
      `Invalid duration at ${fullKey}: it must be longer than zero`,
    );
  }
  return ms / 1000;
}

function readRule(config: Config, key: string): ThresholdRule {
  const metric = config.getString('metric');
  if (!(MODEL_METRIC_KEYS as string[]).includes(metric)) {
    throw new Error(
      `Invalid metric "${metric}" at ${key}.metric; expected one of ${MODEL_METRIC_KEYS.join(
        ', ',
      )}`,
    );
  }
  const operator = config.getOptionalString('operator') ?? '>';
  if (operator !== '>' && operator !== '<') {
    throw new Error(
      `Invalid operator "${operator}" at ${key}.operator; expected ">" or "<"`,
    );
  }
  const warning = config.getNumber('warning');
  const critical = config.getNumber('critical');
  if (operator === '>' ? critical < warning : critical > warning) {
    throw new Error(
      `Invalid levels at ${key}: critical (${critical}) must be ${
        operator === '>' ? 'at or above' : 'at or below'
      } warning (${warning})`,
    );
  }
  return {
    alert: config.getString('alert'),
    metric: metric as ModelMetric,
    operator,
    warning,
    critical,
    forSeconds: config.has('for')
      ? readSeconds(config, 'for', `${key}.for`)
      : 60,
  };
}

const SEVERITIES = ['warning', 'critical'] as const;

function readRouteEntry(config: Config, key: string): AlertRouteEntry {
  const channels = config.getStringArray('channels');
  const entry: AlertRouteEntry = { channels };
  const match = config.getOptionalConfig('match');
  if (match) {
    const severity = match.getOptionalStringArray('severity');
    const bad = severity?.find(
      s => !(SEVERITIES as readonly string[]).includes(s),
    );
    if (bad !== undefined) {
      throw new Error(
        `Invalid severity "${bad}" at ${key}.match.severity; expected warning or critical`,
      );
    }
    entry.match = {
      severity: severity as Array<(typeof SEVERITIES)[number]> | undefined,
      slot: match.getOptionalStringArray('slot'),
    };
    if (!entry.match.severity) delete entry.match.severity;
    if (!entry.match.slot) delete entry.match.slot;
  }
  const escalation = config.getOptionalConfig('escalation');
  if (!escalation) {
    return entry;
  }
  const threshold = escalation.getNumber('threshold');
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new Error(
      `Invalid escalation threshold ${threshold} at ${key}.escalation.threshold; expected a whole number of 1 or more`,
    );
  }
  entry.escalation = {
    threshold,
    windowSeconds: readSeconds(
      escalation,
      'window',
      `${key}.escalation.window`,
    ),
    channels: escalation.getOptionalStringArray('channels') ?? [
      'pagerduty',
      'webhook',
    ],
  };
  return entry;
}

function readTiming(
  route: Config,
  key: string,
  name: 'groupWait' | 'groupInterval' | 'repeatInterval',
  fallback: number,
  allowZero: boolean,
): number {
  if (!route.has(name)) return fallback;
  const raw = route.getOptional(name);
  if (allowZero && (raw === 0 || raw === '0s' || raw === '0')) return 0;
  return readSeconds(route, name, `${key}.${name}`);
}

/** The optional prices of a cost model besides the instance-hour. */
const OPTIONAL_PRICES = [
  'gpuHourUsd',
  'per1kRequestsUsd',
  'per1kTokensUsd',
] as const;

function readCostModel(model: Config, name: string, key: string): CostModel {
  const prices: Partial<Record<(typeof OPTIONAL_PRICES)[number], number>> = {};
  for (const price of OPTIONAL_PRICES) {
    const value = model.getOptionalNumber(price);
    if (value === undefined) continue;
    if (!(value >= 0)) {
      throw new Error(`Invalid price at ${key}.${price}; must not be negative`);
    }
    prices[price] = value;
  }
  // Required unless the model is priced some other way (per request, per GPU, per token).
  const instanceHourUsd =
    Object.keys(prices).length > 0
      ? model.getOptionalNumber('instanceHourUsd') ?? 0
      : model.getNumber('instanceHourUsd');
  const instances = model.getOptionalNumber('instances') ?? 1;
  if (!(instanceHourUsd >= 0)) {
    throw new Error(
      `Invalid price at ${key}.instanceHourUsd; must not be negative`,
    );
  }
  if (!Number.isInteger(instances) || instances < 1) {
    throw new Error(
      `Invalid instance count at ${key}.instances; expected a whole number of 1 or more`,
    );
  }
  const currency = model.getOptionalString('currency') ?? 'USD';
  if (!/^[A-Z]{3}$/.test(currency)) {
    throw new Error(
      `Invalid currency "${currency}" at ${key}.currency; expected an ISO 4217 code such as USD or EUR`,
    );
  }
  const gpusPerInstance = model.getOptionalNumber('gpusPerInstance');
  if (
    gpusPerInstance !== undefined &&
    (!Number.isInteger(gpusPerInstance) || gpusPerInstance < 0)
  ) {
    throw new Error(
      `Invalid GPU count at ${key}.gpusPerInstance; expected a whole number of 0 or more`,
    );
  }
  return {
    name,
    currency,
    instanceHourUsd,
    instances,
    ...prices,
    ...(gpusPerInstance !== undefined ? { gpusPerInstance } : {}),
  };
}

/**
 * Reads the rule sets, alert routes and cost models of `modelOps`, with the built-in defaults
 * for anything not configured. Bad values fail start-up with the config key in the message.
 *
 * @internal
 */
export function readRulesConfig(rootConfig: Config): RulesOptions {
  const config = rootConfig.getOptionalConfig('modelOps');

  const ruleSets = new Map<string, RuleSet>([
    [DEFAULT_RULE_SET.name, DEFAULT_RULE_SET],
  ]);
  const rulesConfig = config?.getOptionalConfig('rules');
  for (const name of rulesConfig?.keys() ?? []) {
    const key = `modelOps.rules.${name}`;
    const rules = rulesConfig!
      .getConfigArray(name)
      .map((rule, index) => readRule(rule, `${key}[${index}]`));
    ruleSets.set(name, { name, rules });
  }

  const alertRoutes = new Map<string, AlertRoute>([
    [DEFAULT_ALERT_ROUTE.name, DEFAULT_ALERT_ROUTE],
  ]);
  const routesConfig = config?.getOptionalConfig('alerts.routes');
  for (const name of routesConfig?.keys() ?? []) {
    const key = `modelOps.alerts.routes.${name}`;
    const route = routesConfig!.getConfig(name);
    const byTypeConfig = route.getOptionalConfig('byType');
    const byType: Record<string, AlertRouteEntry> = {};
    for (const type of byTypeConfig?.keys() ?? []) {
      byType[type] = readRouteEntry(
        byTypeConfig!.getConfig(type),
        `${key}.byType.${type}`,
      );
    }
    const fallbackKey = `${key}.fallback`;
    let fallback: AlertRouteEntry = DEFAULT_ALERT_ROUTE.fallback;
    if (route.has('fallback')) {
      const raw = route.getOptional('fallback');
      fallback = Array.isArray(raw)
        ? { channels: route.getStringArray('fallback') }
        : readRouteEntry(route.getConfig('fallback'), fallbackKey);
    }
    alertRoutes.set(name, {
      name,
      byType,
      fallback,
      groupWaitSeconds: readTiming(
        route,
        key,
        'groupWait',
        DEFAULT_ALERT_ROUTE.groupWaitSeconds,
        true,
      ),
      groupIntervalSeconds: readTiming(
        route,
        key,
        'groupInterval',
        DEFAULT_ALERT_ROUTE.groupIntervalSeconds,
        true,
      ),
      repeatIntervalSeconds: readTiming(
        route,
        key,
        'repeatInterval',
        DEFAULT_ALERT_ROUTE.repeatIntervalSeconds,
        false,
      ),
    });
  }

  const costModels = new Map<string, CostModel>([
    [DEFAULT_COST_MODEL.name, DEFAULT_COST_MODEL],
  ]);
  const costConfig = config?.getOptionalConfig('capacity.costModels');
  for (const name of costConfig?.keys() ?? []) {
    const key = `modelOps.capacity.costModels.${name}`;
    const model = costConfig!.getConfig(name);
    costModels.set(name, readCostModel(model, name, key));
  }

  return { ruleSets, alertRoutes, costModels };
}
