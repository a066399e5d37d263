import { createExtensionPoint } from '@backstage/backend-plugin-api';
import { AlertChannel, AlertChannelFactory } from './channels';
import { MetricSource } from './metrics';
import { ModelRuntime } from './runtime';

/**
 * Adds runtimes to Model Ops from a backend module. A runtime whose id is already taken is
 * refused at start-up.
 *
 * @public
 */
export interface ModelOpsRuntimesExtensionPoint {
  addRuntime(...runtimes: Array<ModelRuntime | Array<ModelRuntime>>): void;
}

/**
 * @public
 */
export const modelOpsRuntimesExtensionPoint =
  createExtensionPoint<ModelOpsRuntimesExtensionPoint>({
    id: 'model-ops.runtimes',
  });

/**
 * Adds metric sources to Model Ops from a backend module.
 *
 * @public
 */
export interface ModelOpsMetricSourcesExtensionPoint {
  addMetricSource(...sources: Array<MetricSource | Array<MetricSource>>): void;
}

/**
 * @public
 */
export const modelOpsMetricSourcesExtensionPoint =
  createExtensionPoint<ModelOpsMetricSourcesExtensionPoint>({
    id: 'model-ops.metric-sources',
  });

/**
 * Adds alert channels to Model Ops from a backend module: ready-made channel instances, or
 * channel types that `modelOps.alerts.channels.<id>: { type: ... }` entries then configure.
 *
 * @public
 */
export interface ModelOpsAlertChannelsExtensionPoint {
  addAlertChannel(...channels: Array<AlertChannel | Array<AlertChannel>>): void;
  addAlertChannelType(
    ...factories: Array<AlertChannelFactory | Array<AlertChannelFactory>>
  ): void;
}

/**
 * @public
 */
export const modelOpsAlertChannelsExtensionPoint =
  createExtensionPoint<ModelOpsAlertChannelsExtensionPoint>({
    id: 'model-ops.alert-channels',
  });
