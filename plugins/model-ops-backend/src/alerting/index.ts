/**
 * The alerting capability: the outbox of alert notifications (written in the transaction of
 * each alert transition), the channels it sends to, the delivery task, escalation, and what
 * people do with alerts (acknowledge, resolve).
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { Config, ConfigReader } from '@backstage/config';
import { AlertRoute } from '@model-ops/plugin-model-ops-common';
import {
  AlertChannel,
  AlertChannelFactory,
} from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import type { ActionGuard } from '../lib/guard';
import type { Capability } from '../lib/tasks';
import type { ModelIndex, ModelStore } from '../models';
import type { AlertStore } from '../monitoring';
import { AlertingService, DefaultAlertingService } from './AlertingService';
import {
  AlertmanagerIngestion,
  AlertmanagerIngestionOptions,
} from './AlertmanagerIngestion';
import { DeliveryPlanner } from './DeliveryPlanner';
import { DeliveryStore } from './DeliveryStore';
import { DeliveryOptions, DeliveryWorker } from './DeliveryWorker';
import { Incidents } from './Incidents';
import { MaintenanceWindow, Silences } from './Silences';

export { builtInAlertChannelTypes } from './channels';
export { DeliveryPlanner, routeEntryFor } from './DeliveryPlanner';
export type {
  AlertModelContext,
  AlertChanges,
  PlanResult,
} from './DeliveryPlanner';
export { DeliveryStore } from './DeliveryStore';
export { DeliveryWorker, DEFAULT_DELIVERY_OPTIONS } from './DeliveryWorker';
export type { DeliveryOptions } from './DeliveryWorker';
export type { AlertingService } from './AlertingService';
export type { AlertmanagerIngestionOptions } from './AlertmanagerIngestion';
export { Incidents, incidentReport, precedingChange } from './Incidents';
export {
  Silences,
  parseSilenceRequest,
  readMaintenanceWindows,
  silenceMatches,
  windowOccurrence,
} from './Silences';
export type { MaintenanceWindow, NewSilence } from './Silences';

/**
 * The configured channels: each `modelOps.alerts.channels.<id>` made by the factory of its
 * `type`, plus the channels modules added as instances. A built-in `notifications` channel
 * (Backstage notifications to the model's owner) exists unless the id is configured.
 *
 * @internal
 */
export function createAlertChannels(options: {
  config: Config;
  logger: LoggerService;
  getType: (type: string) => AlertChannelFactory | undefined;
  types: () => string[];
  /** Channels modules added ready-made. */
  added: AlertChannel[];
}): Map<string, AlertChannel> {
  const channels = new Map<string, AlertChannel>();
  for (const channel of options.added) channels.set(channel.id, channel);
  const configured = options.config.getOptionalConfig(
    'modelOps.alerts.channels',
  );
  for (const id of configured?.keys() ?? []) {
    const key = `modelOps.alerts.channels.${id}`;
    if (channels.has(id)) {
      throw new Error(`${key}: a module already added a channel "${id}"`);
    }
    const channelConfig = configured!.getConfig(id);
    const type = channelConfig.getString('type');
    const factory = options.getType(type);
    if (!factory) {
      throw new Error(
        `${key}.type: no alert channel type "${type}"; known types are ${options
          .types()
          .join(', ')}`,
      );
    }
    channels.set(
      id,
      factory.create({
        id,
        config: channelConfig,
        logger: options.logger.child({ channel: id }),
      }),
    );
  }
  if (!channels.has('notifications')) {
    const factory = options.getType('notifications');
    try {
      const channel = factory?.create({
        id: 'notifications',
        config: new ConfigReader({ type: 'notifications' }),
        logger: options.logger.child({ channel: 'notifications' }),
      });
      if (channel) channels.set('notifications', channel);
    } catch (error) {
      options.logger.info(
        `No built-in notifications channel: ${(error as Error).message}`,
      );
    }
  }
  return channels;
}

/**
 * Creates the alerting capability: the planner the monitoring tick writes notifications with,
 * the delivery task and the alert actions.
 *
 * @internal
 */
export function createAlerting(deps: {
  knex: Knex;
  models: ModelIndex;
  store: ModelStore;
  alerts: AlertStore;
  guard: ActionGuard;
  routes: Map<string, AlertRoute>;
  channels: Map<string, AlertChannel>;
  logger: LoggerService;
  options: DeliveryOptions;
  alertmanager?: AlertmanagerIngestionOptions;
  baseUrl?: string;
  /** Configured maintenance windows. */
  maintenanceWindows?: MaintenanceWindow[];
  /** How long after a change an alert names it. Default 30 minutes. */
  changeWindowMs?: number;
}): Capability<AlertingService> & { planner: DeliveryPlanner } {
  const deliveries = new DeliveryStore(deps.knex);
  const changeWindowMs = deps.changeWindowMs ?? 30 * 60_000;
  const silences = new Silences({
    knex: deps.knex,
    windows: deps.maintenanceWindows ?? [],
  });
  const incidents = new Incidents({
    knex: deps.knex,
    deliveries,
    changeWindowMs,
  });
  const planner = new DeliveryPlanner({
    store: deliveries,
    routes: deps.routes,
    channelIds: () => new Set(deps.channels.keys()),
    baseUrl: deps.baseUrl,
    silences,
    incidents,
    changeWindowMs,
  });
  const worker = new DeliveryWorker({
    store: deliveries,
    getChannel: id => deps.channels.get(id),
    logger: deps.logger,
    options: deps.options,
  });
  const ingestion = new AlertmanagerIngestion({
    models: deps.models,
    store: deps.store,
    alerts: deps.alerts,
    planner,
    guard: deps.guard,
    options: deps.alertmanager ?? { modelLabel: 'model_id' },
  });
  const service = new DefaultAlertingService({
    models: deps.models,
    store: deps.store,
    alerts: deps.alerts,
    deliveries,
    planner,
    guard: deps.guard,
    ingestion,
    silences,
    incidents,
    baseUrl: deps.baseUrl,
  });
  return { service, planner, tasks: [worker] };
}
