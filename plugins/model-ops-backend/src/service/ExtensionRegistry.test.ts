import {
  AlertChannel,
  MetricSource,
  ModelRuntime,
} from '@model-ops/plugin-model-ops-node';
import { ExtensionRegistry } from './ExtensionRegistry';

const runtime = (id: string) => ({ id } as unknown as ModelRuntime);
const source = (id: string) => ({ id } as unknown as MetricSource);
const channel = (id: string) => ({ id } as unknown as AlertChannel);

describe('ExtensionRegistry', () => {
  it('starts empty', () => {
    const registry = new ExtensionRegistry();
    expect(registry.runtimeIds()).toEqual([]);
    expect(registry.metricSourceIds()).toEqual([]);
    expect(registry.alertChannelIds()).toEqual([]);
    expect(registry.getRuntime('local')).toBeUndefined();
  });

  it('holds runtimes, metric sources and alert channels by id, in order added', () => {
    const registry = new ExtensionRegistry();
    const ray = runtime('ray');
    const modal = runtime('modal');
    registry.addRuntimes([ray, modal]);
    registry.addMetricSources([source('datadog')]);
    registry.addAlertChannels([channel('teams'), channel('opsgenie')]);

    expect(registry.runtimeIds()).toEqual(['ray', 'modal']);
    expect(registry.getRuntime('ray')).toBe(ray);
    expect(registry.getRuntime('modal')).toBe(modal);
    expect(registry.metricSourceIds()).toEqual(['datadog']);
    expect(registry.getMetricSource('datadog')?.id).toBe('datadog');
    expect(registry.alertChannelIds()).toEqual(['teams', 'opsgenie']);
    expect(registry.getAlertChannel('opsgenie')?.id).toBe('opsgenie');
    expect(registry.getAlertChannel('slack')).toBeUndefined();
  });

  it('refuses a runtime id taken twice and keeps the first', () => {
    const registry = new ExtensionRegistry();
    const first = runtime('ray');
    registry.addRuntimes([first]);
    expect(() => registry.addRuntimes([runtime('ray')])).toThrow(
      'A Model Ops runtime with id "ray" was added twice',
    );
    expect(registry.getRuntime('ray')).toBe(first);
    expect(registry.runtimeIds()).toEqual(['ray']);
  });

  it('refuses a duplicate within one call', () => {
    const registry = new ExtensionRegistry();
    expect(() =>
      registry.addMetricSources([source('datadog'), source('datadog')]),
    ).toThrow('A Model Ops metric source with id "datadog" was added twice');
    expect(() =>
      registry.addAlertChannels([channel('teams'), channel('teams')]),
    ).toThrow('A Model Ops alert channel with id "teams" was added twice');
  });

  it('keeps the kinds apart: one id may name a runtime and a source', () => {
    const registry = new ExtensionRegistry();
    registry.addRuntimes([runtime('acme')]);
    registry.addMetricSources([source('acme')]);
    registry.addAlertChannels([channel('acme')]);
    expect(registry.runtimeIds()).toEqual(['acme']);
    expect(registry.metricSourceIds()).toEqual(['acme']);
    expect(registry.alertChannelIds()).toEqual(['acme']);
  });
});
