import { BackendPluginRegistrationPoints } from '@backstage/backend-plugin-api';
import {
  AlertChannel,
  AlertChannelFactory,
  MetricSource,
  ModelRuntime,
  modelOpsAlertChannelsExtensionPoint,
  modelOpsMetricSourcesExtensionPoint,
  modelOpsRuntimesExtensionPoint,
} from '@model-ops/plugin-model-ops-node';

/**
 * Holds what backend modules added through the extension points. An id can be taken once:
 * a second runtime, source or channel with the same id fails start-up instead of shadowing.
 *
 * @internal
 */
export class ExtensionRegistry {
  private readonly runtimes = new Map<string, ModelRuntime>();
  private readonly metricSources = new Map<string, MetricSource>();
  private readonly alertChannels = new Map<string, AlertChannel>();
  private readonly alertChannelTypes = new Map<string, AlertChannelFactory>();

  /** Offers the plugin's extension points to backend modules, all feeding this registry. */
  registerExtensionPoints(env: BackendPluginRegistrationPoints) {
    env.registerExtensionPoint(modelOpsRuntimesExtensionPoint, {
      addRuntime: (...runtimes) => this.addRuntimes(runtimes.flat()),
    });
    env.registerExtensionPoint(modelOpsMetricSourcesExtensionPoint, {
      addMetricSource: (...sources) => this.addMetricSources(sources.flat()),
    });
    env.registerExtensionPoint(modelOpsAlertChannelsExtensionPoint, {
      addAlertChannel: (...channels) => this.addAlertChannels(channels.flat()),
      addAlertChannelType: (...factories) =>
        this.addAlertChannelTypes(factories.flat()),
    });
  }

  addRuntimes(runtimes: ModelRuntime[]) {
    for (const runtime of runtimes) {
      ExtensionRegistry.add(this.runtimes, runtime, 'runtime');
    }
  }

  addMetricSources(sources: MetricSource[]) {
    for (const source of sources) {
      ExtensionRegistry.add(this.metricSources, source, 'metric source');
    }
  }

  addAlertChannels(channels: AlertChannel[]) {
    for (const channel of channels) {
      ExtensionRegistry.add(this.alertChannels, channel, 'alert channel');
    }
  }

  addAlertChannelTypes(factories: AlertChannelFactory[]) {
    for (const factory of factories) {
      if (this.alertChannelTypes.has(factory.type)) {
        throw new Error(
          `A Model Ops alert channel type "${factory.type}" was added twice`,
        );
      }
      this.alertChannelTypes.set(factory.type, factory);
    }
  }

  /** Adds built-in channel types no module has taken: a module's type wins. */
  addDefaultAlertChannelTypes(factories: AlertChannelFactory[]) {
    this.addAlertChannelTypes(
      factories.filter(f => !this.alertChannelTypes.has(f.type)),
    );
  }

  getAlertChannelType(type: string): AlertChannelFactory | undefined {
    return this.alertChannelTypes.get(type);
  }

  alertChannelTypeIds(): string[] {
    return [...this.alertChannelTypes.keys()];
  }

  /** Adds built-in runtimes whose id no module has taken: a module's runtime wins. */
  addDefaultRuntimes(runtimes: ModelRuntime[]) {
    this.addRuntimes(runtimes.filter(r => !this.runtimes.has(r.id)));
  }

  /** Adds built-in metric sources whose id no module has taken. */
  addDefaultMetricSources(sources: MetricSource[]) {
    this.addMetricSources(sources.filter(s => !this.metricSources.has(s.id)));
  }

  runtimeIds(): string[] {
    return [...this.runtimes.keys()];
  }

  metricSourceIds(): string[] {
    return [...this.metricSources.keys()];
  }

  alertChannelIds(): string[] {
    return [...this.alertChannels.keys()];
  }

  getRuntime(id: string): ModelRuntime | undefined {
    return this.runtimes.get(id);
  }

  getMetricSource(id: string): MetricSource | undefined {
    return this.metricSources.get(id);
  }

  getAlertChannel(id: string): AlertChannel | undefined {
    return this.alertChannels.get(id);
  }

  private static add<T extends { id: string }>(
    map: Map<string, T>,
    item: T,
    what: string,
  ) {
    if (map.has(item.id)) {
      throw new Error(
        `A Model Ops ${what} with id "${item.id}" was added twice`,
      );
    }
    map.set(item.id, item);
  }
}
