import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import {
  DEFAULT_ALERT_ROUTE,
  DEFAULT_RULE_SET,
} from '@model-ops/plugin-model-ops-common';
import { DEFAULT_COST_MODEL, readRulesConfig, readSeconds } from './rules';

const read = (modelOps: JsonObject) =>
  readRulesConfig(new ConfigReader({ modelOps }));

const rule = (overrides: JsonObject = {}): JsonObject => ({
  alert: 'slow',
  metric: 'responseTimeP95',
  warning: 200,
  critical: 500,
  ...overrides,
});

describe('readRulesConfig', () => {
  it('has the built-in defaults without config', () => {
    for (const options of [
      readRulesConfig(new ConfigReader({})),
      read({}),
      read({ rules: {}, alerts: { routes: {} }, capacity: { costModels: {} } }),
    ]) {
      expect([...options.ruleSets.entries()]).toEqual([
        ['default', DEFAULT_RULE_SET],
      ]);
      expect([...options.alertRoutes.entries()]).toEqual([
        ['default', DEFAULT_ALERT_ROUTE],
      ]);
      expect([...options.costModels.entries()]).toEqual([
        ['default', DEFAULT_COST_MODEL],
      ]);
    }
    expect(DEFAULT_COST_MODEL).toEqual({
      name: 'default',
      currency: 'USD',
      instanceHourUsd: 0.1,
      instances: 1,
    });
  });

  it('reads a custom rule set next to the default one', () => {
    const options = read({
      rules: {
        strict: [
          rule({ for: '90s' }),
          {
            alert: 'low_throughput',
            metric: 'throughput',
            operator: '<',
            warning: 10,
            critical: 2,
            for: 'PT5M',
          },
        ],
      },
    });
    expect([...options.ruleSets.keys()]).toEqual(['default', 'strict']);
    expect(options.ruleSets.get('default')).toBe(DEFAULT_RULE_SET);
    expect(options.ruleSets.get('strict')).toEqual({
      name: 'strict',
      rules: [
        {
          alert: 'slow',
          metric: 'responseTimeP95',
          operator: '>',
          warning: 200,
          critical: 500,
          forSeconds: 90,
        },
        {
          alert: 'low_throughput',
          metric: 'throughput',
          operator: '<',
          warning: 10,
          critical: 2,
          forSeconds: 300,
        },
      ],
    });
  });

  it('defaults a rule to ">" and one minute, and allows equal levels', () => {
    const options = read({
      rules: { flat: [rule({ warning: 300, critical: 300 })] },
    });
    expect(options.ruleSets.get('flat')?.rules).toEqual([
      expect.objectContaining({ operator: '>', forSeconds: 60, warning: 300 }),
    ]);
  });

  it('lets a rule set named default replace the built-in one', () => {
    const options = read({ rules: { default: [rule()] } });
    expect([...options.ruleSets.keys()]).toEqual(['default']);
    expect(options.ruleSets.get('default')?.rules).toHaveLength(1);
    expect(options.ruleSets.get('default')?.rules[0].alert).toBe('slow');
  });

  it('reads a custom alert route', () => {
    const options = read({
      alerts: {
        routes: {
          'on-call': {
            byType: {
              high_error_rate: {
                channels: ['pagerduty'],
                escalation: {
                  threshold: 2,
                  window: '3m',
                  channels: ['email', 'slack'],
                },
              },
              slow: {
                channels: ['slack'],
                match: { severity: ['critical'], slot: ['blue'] },
              },
            },
            fallback: ['email'],
            groupWait: '10s',
            groupInterval: '0s',
            repeatInterval: '1h',
          },
          quiet: {},
        },
      },
    });
    expect([...options.alertRoutes.keys()]).toEqual([
      'default',
      'on-call',
      'quiet',
    ]);
    expect(options.alertRoutes.get('on-call')).toEqual({
      name: 'on-call',
      byType: {
        high_error_rate: {
          channels: ['pagerduty'],
          escalation: {
            threshold: 2,
            windowSeconds: 180,
            channels: ['email', 'slack'],
          },
        },
        slow: {
          channels: ['slack'],
          match: { severity: ['critical'], slot: ['blue'] },
        },
      },
      fallback: { channels: ['email'] },
      groupWaitSeconds: 10,
      groupIntervalSeconds: 0,
      repeatIntervalSeconds: 3600,
    });
    // Unset: the default route's fallback (email, escalating) and timing.
    expect(options.alertRoutes.get('quiet')).toEqual({
      name: 'quiet',
      byType: {},
      fallback: DEFAULT_ALERT_ROUTE.fallback,
      groupWaitSeconds: 30,
      groupIntervalSeconds: 300,
      repeatIntervalSeconds: 14400,
    });
  });

  it('names the key of a bad route entry', () => {
    expect(() =>
      read({
        alerts: {
          routes: {
            r: {
              byType: {
                t: { channels: ['x'], match: { severity: ['loud'] } },
              },
            },
          },
        },
      }),
    ).toThrow(
      'Invalid severity "loud" at modelOps.alerts.routes.r.byType.t.match.severity',
    );
    expect(() =>
      read({ alerts: { routes: { r: { repeatInterval: 'often' } } } }),
    ).toThrow(/modelOps\.alerts\.routes\.r\.repeatInterval/);
  });

  it('reads custom cost models', () => {
    const options = read({
      capacity: {
        costModels: {
          gpu: { instanceHourUsd: 2.5, instances: 3 },
          free: { instanceHourUsd: 0 },
        },
      },
    });
    expect([...options.costModels.keys()]).toEqual(['default', 'gpu', 'free']);
    expect(options.costModels.get('gpu')).toEqual({
      name: 'gpu',
      currency: 'USD',
      instanceHourUsd: 2.5,
      instances: 3,
    });
    expect(options.costModels.get('free')).toEqual({
      name: 'free',
      currency: 'USD',
      instanceHourUsd: 0,
      instances: 1,
    });
  });

  it('reads every price of a cost model, and the currency', () => {
    const options = read({
      capacity: {
        costModels: {
          llm: {
            currency: 'EUR',
            instanceHourUsd: 0.5,
            instances: 2,
            gpuHourUsd: 2.1,
            gpusPerInstance: 4,
            per1kRequestsUsd: 0.02,
            per1kTokensUsd: 0.001,
          },
          api: { per1kRequestsUsd: 0.4 },
        },
      },
    });
    expect(options.costModels.get('llm')).toEqual({
      name: 'llm',
      currency: 'EUR',
      instanceHourUsd: 0.5,
      instances: 2,
      gpuHourUsd: 2.1,
      gpusPerInstance: 4,
      per1kRequestsUsd: 0.02,
      per1kTokensUsd: 0.001,
    });
    // Priced per request only: no instance-hour needed.
    expect(options.costModels.get('api')).toEqual({
      name: 'api',
      currency: 'USD',
      instanceHourUsd: 0,
      instances: 1,
      per1kRequestsUsd: 0.4,
    });
  });

  describe('refuses bad values, naming the config key', () => {
    it.each<[string, JsonObject, RegExp]>([
      [
        'unknown metric',
        { rules: { strict: [rule({ metric: 'latency' })] } },
        /"latency" at modelOps\.rules\.strict\[0\]\.metric.*errorRate/,
      ],
      [
        'unknown operator',
        { rules: { strict: [rule(), rule({ operator: '>=' })] } },
        /">=" at modelOps\.rules\.strict\[1\]\.operator/,
      ],
      [
        'critical below warning for ">"',
        { rules: { strict: [rule({ warning: 500, critical: 200 })] } },
        /at modelOps\.rules\.strict\[0\]: critical \(200\) must be at or above warning \(500\)/,
      ],
      [
        'critical above warning for "<"',
        {
          rules: {
            strict: [rule({ operator: '<', warning: 10, critical: 20 })],
          },
        },
        /at modelOps\.rules\.strict\[0\]: critical \(20\) must be at or below warning \(10\)/,
      ],
      [
        'bad rule duration',
        { rules: { strict: [rule({ for: 'a while' })] } },
        /Invalid duration at modelOps\.rules\.strict\[0\]\.for/,
      ],
      [
        'missing alert',
        { rules: { strict: [{ metric: 'cpu', warning: 1, critical: 2 }] } },
        /modelOps\.rules\.strict\[0\]\.alert/,
      ],
      [
        'level that is not a number',
        { rules: { strict: [rule({ warning: 'high' })] } },
        /modelOps\.rules\.strict\[0\]\.warning/,
      ],
      [
        'rule set that is not a list',
        { rules: { strict: rule() } },
        /modelOps\.rules\.strict/,
      ],
      [
        'escalation threshold of zero',
        {
          alerts: {
            routes: {
              team: {
                byType: {
                  slow: {
                    channels: ['slack'],
                    escalation: {
                      threshold: 0,
                      window: '5m',
                      channels: ['email'],
                    },
                  },
                },
              },
            },
          },
        },
        /threshold 0 at modelOps\.alerts\.routes\.team\.byType\.slow\.escalation\.threshold/,
      ],
      [
        'fractional escalation threshold',
        {
          alerts: {
            routes: {
              team: {
                byType: {
                  slow: {
                    channels: ['slack'],
                    escalation: {
                      threshold: 1.5,
                      window: '5m',
                      channels: ['email'],
                    },
                  },
                },
              },
            },
          },
        },
        /modelOps\.alerts\.routes\.team\.byType\.slow\.escalation\.threshold/,
      ],
      [
        'bad escalation window',
        {
          alerts: {
            routes: {
              team: {
                byType: {
                  slow: {
                    channels: ['slack'],
                    escalation: {
                      threshold: 2,
                      window: 'PT-5M',
                      channels: ['email'],
                    },
                  },
                },
              },
            },
          },
        },
        /Invalid duration at modelOps\.alerts\.routes\.team\.byType\.slow\.escalation\.window/,
      ],
      [
        'route entry without channels',
        { alerts: { routes: { team: { byType: { slow: {} } } } } },
        /modelOps\.alerts\.routes\.team\.byType\.slow\.channels/,
      ],
      [
        'negative price',
        { capacity: { costModels: { gpu: { instanceHourUsd: -1 } } } },
        /modelOps\.capacity\.costModels\.gpu\.instanceHourUsd/,
      ],
      [
        'missing price',
        { capacity: { costModels: { gpu: { instances: 2 } } } },
        /modelOps\.capacity\.costModels\.gpu\.instanceHourUsd/,
      ],
      [
        'zero instances',
        {
          capacity: {
            costModels: { gpu: { instanceHourUsd: 1, instances: 0 } },
          },
        },
        /modelOps\.capacity\.costModels\.gpu\.instances/,
      ],
      [
        'lower-case currency',
        {
          capacity: {
            costModels: { gpu: { instanceHourUsd: 1, currency: 'usd' } },
          },
        },
        /Invalid currency "usd" at modelOps\.capacity\.costModels\.gpu\.currency/,
      ],
      [
        'negative GPU price',
        { capacity: { costModels: { gpu: { gpuHourUsd: -2 } } } },
        /modelOps\.capacity\.costModels\.gpu\.gpuHourUsd/,
      ],
      [
        'negative request price',
        {
          capacity: {
            costModels: { gpu: { instanceHourUsd: 1, per1kRequestsUsd: -1 } },
          },
        },
        /modelOps\.capacity\.costModels\.gpu\.per1kRequestsUsd/,
      ],
      [
        'a token price that is no number',
        {
          capacity: {
            costModels: { gpu: { instanceHourUsd: 1, per1kTokensUsd: 'x' } },
          },
        },
        /modelOps\.capacity\.costModels\.gpu\.per1kTokensUsd/,
      ],
      [
        'fractional GPUs',
        {
          capacity: {
            costModels: {
              gpu: { gpuHourUsd: 1, gpusPerInstance: 0.5 },
            },
          },
        },
        /modelOps\.capacity\.costModels\.gpu\.gpusPerInstance/,
      ],
      [
        'fractional instances',
        {
          capacity: {
            costModels: { gpu: { instanceHourUsd: 1, instances: 2.5 } },
          },
        },
        /modelOps\.capacity\.costModels\.gpu\.instances/,
      ],
    ])('%s', (_what, modelOps, message) => {
      expect(() => read(modelOps)).toThrow(message);
    });
  });
});

describe('readSeconds', () => {
  const at = (value: unknown) => new ConfigReader({ for: value as JsonObject });

  it.each<[unknown, number]>([
    ['90s', 90],
    ['5m', 300],
    ['1h', 3600],
    ['1d', 86400],
    ['500ms', 0.5],
    [' 2m ', 120],
    ['10 s', 10],
    ['5 minutes', 300],
    ['PT2M', 120],
    ['PT1M30S', 90],
    ['P1D', 86400],
    [{ minutes: 2 }, 120],
    [{ minutes: 1, seconds: 30 }, 90],
  ])('reads %j as %d seconds', (value, seconds) => {
    expect(readSeconds(at(value), 'for', 'some.key')).toBe(seconds);
  });

  it.each<unknown>([
    '',
    'soon',
    '0s',
    'PT0S',
    '-5m',
    'P',
    { lightyears: 1 },
    { minutes: 0 },
  ])('refuses %j, naming the key', value => {
    expect(() =>
      readSeconds(at(value), 'for', 'modelOps.rules.x[0].for'),
    ).toThrow('Invalid duration at modelOps.rules.x[0].for');
  });
});
