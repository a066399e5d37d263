import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import os from 'node:os';
import path from 'node:path';
import {
  DEFAULT_CANARY,
  DEFAULT_SCHEDULES,
  DEFAULT_SWITCH,
  readModelOpsConfig,
} from './config';

const cwd = path.join(os.tmpdir(), 'model-ops-config-test');
const read = (modelOps: JsonObject, extra: JsonObject = {}) =>
  readModelOpsConfig(new ConfigReader({ modelOps, ...extra }), {
    workingDirectory: cwd,
  });

describe('readModelOpsConfig', () => {
  it('has a default for every key', async () => {
    const options = await read({});
    expect(options.models).toEqual({
      schedule: DEFAULT_SCHEDULES.models,
      maxAgeMs: 60_000,
    });
    expect(options.canary).toEqual(DEFAULT_CANARY);
    expect(options.environments).toEqual({
      ...DEFAULT_SWITCH,
      cooldownSchedule: DEFAULT_SCHEDULES.cooldown,
    });
    expect(options.demo).toEqual({
      bootstrap: false,
      version: '1.0.0',
      schedule: DEFAULT_SCHEDULES.demo,
      history: false,
      historySchedule: DEFAULT_SCHEDULES.demoHistory,
    });
    expect(options.monitoring).toEqual({
      schedule: DEFAULT_SCHEDULES.monitoring,
      intervalSeconds: 60,
      sampleRetentionDays: 7,
      rollupRetentionDays: 90,
      alertRetentionDays: 30,
      retentionSchedule: DEFAULT_SCHEDULES.retention,
    });
    expect(options.reconcileSchedule).toEqual(DEFAULT_SCHEDULES.reconcile);
    expect(options.artifactIndexFile).toBeUndefined();
    expect(options.kubernetes).toBeUndefined();
    expect(options.metrics.scrape.enabled).toBe(true);
    expect(options.metrics.prometheus).toBeUndefined();
    expect([...options.ruleSets.keys()]).toEqual(['default']);
    expect(options.pipeline.maxConcurrentRuns).toBe(4);
  });

  it('reads good values of every key', async () => {
    const options = await read({
      models: {
        maxAgeSeconds: 10,
        refreshSchedule: {
          frequency: { seconds: 5 },
          timeout: { seconds: 30 },
        },
      },
      artifacts: { fileRoot: '.', index: 'models/index.json' },
      pipeline: {
        reconcileSchedule: {
          frequency: { minutes: 1 },
          timeout: { minutes: 1 },
        },
      },
      canary: {
        steps: [5, 25, 100],
        stepSeconds: 2,
        analysisIntervalMs: 10,
        maxLatencyRatio: 1.5,
        maxErrorRateIncreasePct: 3,
      },
      environments: {
        probes: 3,
        healthWatchSeconds: 1,
        watchIntervalMs: 5,
        warmSeconds: 0,
        cooldownSchedule: {
          frequency: { seconds: 30 },
          timeout: { seconds: 30 },
        },
      },
      demo: {
        bootstrap: true,
        version: '1.1.0',
        schedule: { frequency: { seconds: 60 }, timeout: { seconds: 60 } },
      },
      monitoring: {
        schedule: { frequency: { seconds: 15 }, timeout: { minutes: 2 } },
        sampleRetentionDays: 2,
        rollupRetentionDays: 30,
        alertRetentionDays: 14,
        retentionSchedule: { frequency: { hours: 1 }, timeout: { minutes: 5 } },
      },
      metrics: { prometheus: { baseUrl: 'http://127.0.0.1:9090' } },
    });
    expect(options.models).toEqual({
      maxAgeMs: 10_000,
      schedule: { frequency: { seconds: 5 }, timeout: { seconds: 30 } },
    });
    expect(options.artifactIndexFile).toBe(path.join(cwd, 'models/index.json'));
    expect(options.reconcileSchedule).toEqual({
      frequency: { minutes: 1 },
      timeout: { minutes: 1 },
    });
    expect(options.canary).toEqual({
      steps: [5, 25, 100],
      stepSeconds: 2,
      analysisIntervalMs: 10,
      maxLatencyRatio: 1.5,
      maxErrorRateIncreasePct: 3,
    });
    expect(options.environments).toMatchObject({
      probes: 3,
      healthWatchSeconds: 1,
      watchIntervalMs: 5,
      warmSeconds: 0,
    });
    expect(options.environments.cooldownSchedule).toEqual({
      frequency: { seconds: 30 },
      timeout: { seconds: 30 },
    });
    expect(options.demo).toMatchObject({
      bootstrap: true,
      version: '1.1.0',
      // The seeded history follows the bootstrap.
      history: true,
      historySchedule: DEFAULT_SCHEDULES.demoHistory,
    });
    expect(options.monitoring).toMatchObject({
      intervalSeconds: 15,
      sampleRetentionDays: 2,
      rollupRetentionDays: 30,
      alertRetentionDays: 14,
    });
    expect(options.monitoring.retentionSchedule).toEqual({
      frequency: { hours: 1 },
      timeout: { minutes: 5 },
    });
    expect(options.metrics.prometheus?.baseUrl).toBe('http://127.0.0.1:9090');
  });

  it('seeds the demo history with the bootstrap unless told otherwise', async () => {
    expect(
      (await read({ demo: { bootstrap: true, history: false } })).demo.history,
    ).toBe(false);
    const options = await read({
      demo: {
        history: true,
        historySchedule: {
          frequency: { minutes: 5 },
          timeout: { minutes: 30 },
        },
      },
    });
    expect(options.demo).toMatchObject({
      bootstrap: false,
      history: true,
      historySchedule: { frequency: { minutes: 5 }, timeout: { minutes: 30 } },
    });
    await expect(
      read({ demo: { historySchedule: { frequency: 'often' } } }),
    ).rejects.toThrow(/modelOps\.demo\.historySchedule/);
  });

  it('reads capacity planning settings, with their defaults', async () => {
    expect((await read({})).capacity).toEqual({
      targetUtilization: 70,
      timeZone: 'UTC',
      minProjectionDays: 3,
      actLeadDays: 14,
    });
    expect(
      (
        await read({
          capacity: {
            targetUtilization: 60,
            timeZone: 'Europe/Berlin',
            minProjectionDays: 7,
            actLeadDays: 0,
          },
        })
      ).capacity,
    ).toEqual({
      targetUtilization: 60,
      timeZone: 'Europe/Berlin',
      minProjectionDays: 7,
      actLeadDays: 0,
    });
  });

  it('reads the schedule of the capacity summaries, every 15 minutes by default', async () => {
    expect((await read({})).capacitySummarySchedule).toEqual(
      DEFAULT_SCHEDULES.capacitySummaries,
    );
    expect(DEFAULT_SCHEDULES.capacitySummaries.frequency).toEqual({
      minutes: 15,
    });
    expect(
      (
        await read({
          capacity: {
            summarySchedule: {
              frequency: { minutes: 5 },
              timeout: { minutes: 4 },
            },
          },
        })
      ).capacitySummarySchedule,
    ).toEqual({ frequency: { minutes: 5 }, timeout: { minutes: 4 } });
    await expect(
      read({ capacity: { summarySchedule: { frequency: 'often' } } }),
    ).rejects.toThrow(/modelOps\.capacity\.summarySchedule/);
  });

  it.each<[string, JsonObject, RegExp]>([
    [
      'an unknown time zone',
      { capacity: { timeZone: 'Mars/Olympus' } },
      /Invalid time zone "Mars\/Olympus" at modelOps\.capacity\.timeZone/,
    ],
    [
      'a target of 0',
      { capacity: { targetUtilization: 0 } },
      /modelOps\.capacity\.targetUtilization: expected above 0/,
    ],
    [
      'a target over 100',
      { capacity: { targetUtilization: 120 } },
      /modelOps\.capacity\.targetUtilization: expected at most 100/,
    ],
    [
      'fewer than 3 projection days',
      { capacity: { minProjectionDays: 2 } },
      /modelOps\.capacity\.minProjectionDays: expected at least 3/,
    ],
    [
      'a fractional lead time',
      { capacity: { actLeadDays: 1.5 } },
      /modelOps\.capacity\.actLeadDays: expected a whole number/,
    ],
  ])(
    'refuses %s in modelOps.capacity, naming the key',
    async (_, c, message) => {
      await expect(read(c)).rejects.toThrow(message);
    },
  );

  it('reads a cron monitoring schedule, counting a minute per tick', async () => {
    const options = await read({
      monitoring: {
        schedule: { frequency: { cron: '* * * * *' }, timeout: { minutes: 1 } },
      },
    });
    expect(options.monitoring.intervalSeconds).toBe(60);
  });

  describe('fails the start on a bad value, naming the key and what is allowed', () => {
    it.each<[string, JsonObject, RegExp]>([
      [
        'models.maxAgeSeconds',
        { models: { maxAgeSeconds: 0 } },
        /modelOps\.models\.maxAgeSeconds: expected above 0/,
      ],
      [
        'models.refreshSchedule',
        { models: { refreshSchedule: { frequency: 'often' } } },
        /Invalid schedule at modelOps\.models\.refreshSchedule/,
      ],
      [
        'canary.steps not ending at 100',
        { canary: { steps: [10, 50] } },
        /modelOps\.canary\.steps: expected rising percentages/,
      ],
      [
        'canary.steps falling',
        { canary: { steps: [50, 10, 100] } },
        /modelOps\.canary\.steps/,
      ],
      [
        'canary.stepSeconds',
        { canary: { stepSeconds: 0 } },
        /modelOps\.canary\.stepSeconds: expected above 0/,
      ],
      [
        'canary.maxLatencyRatio',
        { canary: { maxLatencyRatio: 0.5 } },
        /modelOps\.canary\.maxLatencyRatio: expected at least 1/,
      ],
      [
        'canary.maxErrorRateIncreasePct',
        { canary: { maxErrorRateIncreasePct: 101 } },
        /maxErrorRateIncreasePct: expected at most 100/,
      ],
      [
        'environments.probes',
        { environments: { probes: 1.5 } },
        /modelOps\.environments\.probes: expected a whole number/,
      ],
      [
        'environments.healthWatchSeconds',
        { environments: { healthWatchSeconds: -1 } },
        /healthWatchSeconds: expected at least 0/,
      ],
      [
        'environments.warmSeconds',
        { environments: { warmSeconds: -5 } },
        /warmSeconds: expected at least 0/,
      ],
      [
        'environments.cooldownSchedule',
        { environments: { cooldownSchedule: { timeout: { seconds: 1 } } } },
        /Invalid schedule at modelOps\.environments\.cooldownSchedule/,
      ],
      [
        'monitoring.sampleRetentionDays',
        { monitoring: { sampleRetentionDays: 0 } },
        /sampleRetentionDays: expected above 0/,
      ],
      [
        'monitoring.alertRetentionDays',
        { monitoring: { alertRetentionDays: 0 } },
        /alertRetentionDays: expected above 0/,
      ],
      [
        'monitoring.schedule',
        { monitoring: { schedule: { frequency: { seconds: 15 } } } },
        /Invalid schedule at modelOps\.monitoring\.schedule/,
      ],
      [
        'pipeline.maxConcurrentRuns',
        { pipeline: { maxConcurrentRuns: -1 } },
        /maxConcurrentRuns/,
      ],
      [
        'metrics.prometheus.baseUrl',
        { metrics: { prometheus: { baseUrl: 'ftp://x' } } },
        /baseUrl must be an http\(s\) URL/,
      ],
      [
        'rules',
        {
          rules: {
            x: [{ alert: 'a', metric: 'nope', warning: 1, critical: 2 }],
          },
        },
        /"nope" at modelOps\.rules\.x\[0\]\.metric/,
      ],
    ])('%s', async (_key, modelOps, message) => {
      await expect(read(modelOps)).rejects.toThrow(message);
    });
  });
});
