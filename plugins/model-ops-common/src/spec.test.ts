import { Entity } from '@backstage/catalog-model';
import {
  ANNOTATION_ALERT_ROUTE,
  ANNOTATION_COST,
  ANNOTATION_METRICS_SOURCE,
  ANNOTATION_MODEL_ID,
  ANNOTATION_RULES,
  ANNOTATION_RUNBOOK,
  ANNOTATION_RUNTIME,
  ANNOTATION_STRATEGY,
  MODEL_OPS_ANNOTATIONS,
} from './annotations';
import {
  BUILT_IN_METRIC_SOURCES,
  BUILT_IN_RUNTIMES,
  DEPLOYMENT_STRATEGIES,
  EXTERNAL_RUNTIME,
  ModelSpecContext,
  entityRoutePath,
  isModelEntity,
  parseModelSpec,
} from './spec';

function model(
  annotations: Record<string, string>,
  name = 'sentiment-classifier',
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
  };
}

const withId = (extra: Record<string, string> = {}) =>
  model({ [ANNOTATION_MODEL_ID]: 'sentiment', ...extra });

describe('annotations', () => {
  it('lists every annotation once, all under model-ops/', () => {
    expect(MODEL_OPS_ANNOTATIONS).toHaveLength(8);
    expect(new Set(MODEL_OPS_ANNOTATIONS).size).toBe(8);
    for (const annotation of MODEL_OPS_ANNOTATIONS) {
      expect(annotation).toMatch(/^model-ops\/[a-z-]+$/);
    }
  });
});

describe('isModelEntity', () => {
  it('is true whenever the model-id annotation is present, so a bad id shows as a problem', () => {
    expect(isModelEntity(withId())).toBe(true);
    expect(isModelEntity(model({}))).toBe(false);
    expect(isModelEntity(model({ [ANNOTATION_MODEL_ID]: '' }))).toBe(true);
    expect(isModelEntity(model({ [ANNOTATION_RUNTIME]: 'local' }))).toBe(false);
    const noAnnotations = model({});
    delete noAnnotations.metadata.annotations;
    expect(isModelEntity(noAnnotations)).toBe(false);
  });
});

describe('parseModelSpec', () => {
  it('fills every default for a model with only its id', () => {
    expect(parseModelSpec(withId())).toEqual({
      ok: true,
      problems: [],
      spec: {
        entityRef: 'component:default/sentiment-classifier',
        modelId: 'sentiment',
        runtime: 'local',
        strategy: 'blue-green',
        metricsSource: 'scrape',
        rules: 'default',
        alertRoute: 'default',
        costModel: 'default',
        runbook: undefined,
      },
    });
  });

  it('reads every annotation when all are good', () => {
    const result = parseModelSpec(
      withId({
        [ANNOTATION_RUNTIME]: 'kubernetes',
        [ANNOTATION_STRATEGY]: 'canary',
        [ANNOTATION_METRICS_SOURCE]: 'prometheus',
        [ANNOTATION_RULES]: 'strict',
        [ANNOTATION_ALERT_ROUTE]: 'on-call',
        [ANNOTATION_RUNBOOK]: 'https://runbooks.example.com/sentiment',
        [ANNOTATION_COST]: 'gpu',
      }),
    );
    expect(result.ok).toBe(true);
    expect(result.spec).toMatchObject({
      modelId: 'sentiment',
      runtime: 'kubernetes',
      strategy: 'canary',
      metricsSource: 'prometheus',
      rules: 'strict',
      alertRoute: 'on-call',
      runbook: 'https://runbooks.example.com/sentiment',
      costModel: 'gpu',
    });
  });

  describe('model-id', () => {
    it('is required', () => {
      const result = parseModelSpec(model({}));
      expect(result.ok).toBe(false);
      expect(result.spec).toBeUndefined();
      expect(result.problems).toEqual([
        expect.objectContaining({
          annotation: ANNOTATION_MODEL_ID,
          value: '',
          message: expect.stringContaining('is required'),
        }),
      ]);
    });

    it.each(['', '   '])('rejects the empty value %j', value => {
      const result = parseModelSpec(model({ [ANNOTATION_MODEL_ID]: value }));
      expect(result.ok).toBe(false);
      expect(result.spec).toBeUndefined();
      expect(result.problems).toEqual([
        expect.objectContaining({ annotation: ANNOTATION_MODEL_ID, value }),
      ]);
    });

    it.each([
      'a',
      'sentiment',
      'sentiment-v2',
      '0day',
      'a'.repeat(63),
      `a${'-'.repeat(61)}b`,
    ])('accepts the DNS label %j', value => {
      const result = parseModelSpec(model({ [ANNOTATION_MODEL_ID]: value }));
      expect(result.ok).toBe(true);
      expect(result.spec?.modelId).toBe(value);
    });

    it('trims surrounding white space', () => {
      const result = parseModelSpec(
        model({ [ANNOTATION_MODEL_ID]: '  sentiment \n' }),
      );
      expect(result.ok).toBe(true);
      expect(result.spec?.modelId).toBe('sentiment');
    });

    it.each([
      ['upper case', 'Sentiment'],
      ['underscore', 'sentiment_v2'],
      ['dot', 'sentiment.v2'],
      ['leading dash', '-sentiment'],
      ['trailing dash', 'sentiment-'],
      ['inner space', 'senti ment'],
      ['slash', 'team/sentiment'],
      ['64 characters', 'a'.repeat(64)],
    ])('rejects a value that is not a DNS label (%s)', (_what, value) => {
      const result = parseModelSpec(model({ [ANNOTATION_MODEL_ID]: value }));
      expect(result.ok).toBe(false);
      expect(result.spec).toBeUndefined();
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]).toMatchObject({
        annotation: ANNOTATION_MODEL_ID,
        value,
        message: expect.stringContaining('DNS label'),
      });
      expect(result.problems[0].allowed).toBeUndefined();
    });
  });

  // The annotations that name something: a built-in or configured id.
  describe.each([
    {
      annotation: ANNOTATION_RUNTIME,
      field: 'runtime',
      fallback: 'local',
      contextKey: 'runtimes',
      good: 'kubernetes',
    },
    {
      annotation: ANNOTATION_METRICS_SOURCE,
      field: 'metricsSource',
      fallback: 'scrape',
      contextKey: 'metricSources',
      good: 'prometheus',
    },
    {
      annotation: ANNOTATION_RULES,
      field: 'rules',
      fallback: 'default',
      contextKey: 'ruleSets',
      good: 'strict',
    },
    {
      annotation: ANNOTATION_ALERT_ROUTE,
      field: 'alertRoute',
      fallback: 'default',
      contextKey: 'alertRoutes',
      good: 'on-call',
    },
    {
      annotation: ANNOTATION_COST,
      field: 'costModel',
      fallback: 'default',
      contextKey: 'costModels',
      good: 'gpu',
    },
  ] as const)(
    '$annotation',
    ({ annotation, field, fallback, contextKey, good }) => {
      const allowed = [fallback, good];
      const context: ModelSpecContext = { [contextKey]: allowed };

      it(`defaults to ${fallback}`, () => {
        const result = parseModelSpec(withId());
        expect(result.ok).toBe(true);
        expect(result.spec?.[field]).toBe(fallback);
      });

      it.each([good, 'My_Name.v2', 'x', 'a'.repeat(63)])(
        'accepts the name %j without a context list',
        value => {
          const result = parseModelSpec(withId({ [annotation]: value }));
          expect(result.ok).toBe(true);
          expect(result.spec?.[field]).toBe(value);
        },
      );

      it.each([
        'two words',
        '-leading-dash',
        '.hidden',
        'a/b',
        'ümlaut',
        'a'.repeat(64),
      ])('rejects the bad name %j without a context list', value => {
        const result = parseModelSpec(withId({ [annotation]: value }));
        expect(result.ok).toBe(false);
        expect(result.spec?.[field]).toBe(fallback);
        expect(result.problems).toHaveLength(1);
        expect(result.problems[0]).toMatchObject({
          annotation,
          value,
          message: expect.stringContaining(annotation),
        });
        expect(result.problems[0].allowed).toBeUndefined();
      });

      it('accepts a name in the context list', () => {
        const result = parseModelSpec(withId({ [annotation]: good }), context);
        expect(result.ok).toBe(true);
        expect(result.spec?.[field]).toBe(good);
      });

      it('rejects a well-formed name missing from the context list, with the allowed names', () => {
        const result = parseModelSpec(
          withId({ [annotation]: 'not-configured' }),
          context,
        );
        expect(result.ok).toBe(false);
        expect(result.spec?.[field]).toBe(fallback);
        expect(result.problems).toEqual([
          {
            annotation,
            value: 'not-configured',
            message: expect.stringContaining('"not-configured"'),
            allowed,
          },
        ]);
      });

      it('compares names with the context list case-sensitively', () => {
        const result = parseModelSpec(
          withId({ [annotation]: good.toUpperCase() }),
          context,
        );
        expect(result.ok).toBe(false);
        expect(result.problems[0].allowed).toEqual(allowed);
      });

      it.each([{}, context])('rejects an empty value (context %j)', ctx => {
        const result = parseModelSpec(withId({ [annotation]: '  ' }), ctx);
        expect(result.ok).toBe(false);
        expect(result.spec?.[field]).toBe(fallback);
        expect(result.problems).toEqual([
          expect.objectContaining({
            annotation,
            value: '  ',
            message: expect.stringContaining('empty'),
          }),
        ]);
      });
    },
  );

  describe('runtime: external', () => {
    const external = (extra: Record<string, string> = {}) =>
      withId({ [ANNOTATION_RUNTIME]: EXTERNAL_RUNTIME, ...extra });
    const backend: ModelSpecContext = {
      runtimes: BUILT_IN_RUNTIMES,
      metricSources: BUILT_IN_METRIC_SOURCES,
    };

    it('is a built-in runtime, accepted where the runtimes are a closed list', () => {
      expect(BUILT_IN_RUNTIMES).toContain('external');
      const result = parseModelSpec(external(), backend);
      expect(result).toMatchObject({ ok: true, problems: [] });
      expect(result.spec?.runtime).toBe('external');
    });

    it('defaults the metric source to prometheus, and only for external models', () => {
      expect(parseModelSpec(external()).spec?.metricsSource).toBe('prometheus');
      expect(
        parseModelSpec(withId({ [ANNOTATION_RUNTIME]: 'kubernetes' })).spec
          ?.metricsSource,
      ).toBe('scrape');
    });

    it('keeps a metric source the annotation names', () => {
      const result = parseModelSpec(
        external({ [ANNOTATION_METRICS_SOURCE]: 'datadog' }),
        { configuredMetricSources: ['scrape', 'datadog'] },
      );
      expect(result.ok).toBe(true);
      expect(result.spec?.metricsSource).toBe('datadog');
    });

    it('refuses the scrape source: an external model has no slots to scrape', () => {
      const result = parseModelSpec(
        external({ [ANNOTATION_METRICS_SOURCE]: 'scrape' }),
        { configuredMetricSources: ['scrape', 'prometheus'] },
      );
      expect(result.ok).toBe(false);
      expect(result.spec).toMatchObject({
        runtime: 'external',
        metricsSource: 'scrape',
      });
      expect(result.problems).toEqual([
        {
          annotation: ANNOTATION_METRICS_SOURCE,
          value: 'scrape',
          message: expect.stringMatching(
            /scrape reads the \/metrics of the slots Model Ops runs, and a model with model-ops\/runtime: external has none/,
          ),
          allowed: ['prometheus'],
        },
      ]);
    });

    it('is a problem, not a crash, when the default prometheus source is not configured', () => {
      const result = parseModelSpec(external(), {
        ...backend,
        configuredMetricSources: ['scrape'],
      });
      expect(result.ok).toBe(false);
      expect(result.spec?.metricsSource).toBe('prometheus');
      expect(result.problems).toEqual([
        {
          annotation: ANNOTATION_METRICS_SOURCE,
          value: 'prometheus',
          message:
            'A model with model-ops/runtime: external is watched only by its metric source, and prometheus (the default for external models) is not configured in this backend: set modelOps.metrics.prometheus.baseUrl, or name a configured source in model-ops/metrics-source',
        },
      ]);
    });

    it('names the configured sources when the one named is not configured', () => {
      const result = parseModelSpec(
        external({ [ANNOTATION_METRICS_SOURCE]: 'datadog' }),
        { configuredMetricSources: ['scrape', 'prometheus'] },
      );
      expect(result.problems).toEqual([
        expect.objectContaining({
          annotation: ANNOTATION_METRICS_SOURCE,
          value: 'datadog',
          message: expect.stringContaining(
            'datadog is not configured in this backend: install the module that adds "datadog"',
          ),
          allowed: ['prometheus'],
        }),
      ]);
    });

    it('reports a source missing from the closed list once', () => {
      const result = parseModelSpec(
        external({ [ANNOTATION_METRICS_SOURCE]: 'carrier-pigeon' }),
        { ...backend, configuredMetricSources: ['scrape'] },
      );
      expect(result.problems.map(p => p.annotation)).toEqual([
        ANNOTATION_METRICS_SOURCE,
      ]);
      expect(result.problems[0].message).toContain('"carrier-pigeon"');
    });

    it('is fine with prometheus configured, and without a configured list at all', () => {
      expect(
        parseModelSpec(external(), {
          ...backend,
          configuredMetricSources: ['scrape', 'prometheus'],
        }).ok,
      ).toBe(true);
      expect(parseModelSpec(external()).ok).toBe(true);
    });
  });

  describe('strategy', () => {
    it.each(DEPLOYMENT_STRATEGIES.map(s => [s]))('accepts %s', strategy => {
      const result = parseModelSpec(
        withId({ [ANNOTATION_STRATEGY]: strategy }),
      );
      expect(result.ok).toBe(true);
      expect(result.spec?.strategy).toBe(strategy);
    });

    it('offers the three strategies', () => {
      expect(DEPLOYMENT_STRATEGIES).toEqual([
        'blue-green',
        'canary',
        'recreate',
      ]);
    });

    it.each(['rolling', 'Canary', 'blue_green'])(
      'rejects %j with the allowed list and keeps the default',
      value => {
        const result = parseModelSpec(withId({ [ANNOTATION_STRATEGY]: value }));
        expect(result.ok).toBe(false);
        expect(result.spec?.strategy).toBe('blue-green');
        expect(result.problems).toEqual([
          {
            annotation: ANNOTATION_STRATEGY,
            value,
            message: expect.stringContaining('blue-green, canary, recreate'),
            allowed: ['blue-green', 'canary', 'recreate'],
          },
        ]);
      },
    );
  });

  describe('runbook', () => {
    it('has no default', () => {
      expect(parseModelSpec(withId()).spec?.runbook).toBeUndefined();
    });

    it.each([
      'http://wiki.internal/runbooks/sentiment',
      'https://runbooks.example.com/sentiment?tab=alerts#high-error-rate',
    ])('accepts the http(s) URL %s', url => {
      const result = parseModelSpec(withId({ [ANNOTATION_RUNBOOK]: url }));
      expect(result.ok).toBe(true);
      expect(result.spec?.runbook).toBe(url);
    });

    it.each([
      'ftp://files.example.com/runbook.pdf',
      'file:///etc/passwd',
      // eslint-disable-next-line no-script-url -- a value the parser must refuse
      'javascript:alert(1)',
      'not a url',
      'runbooks.example.com/sentiment',
      '/docs/runbook',
    ])('rejects %j', value => {
      const result = parseModelSpec(withId({ [ANNOTATION_RUNBOOK]: value }));
      expect(result.ok).toBe(false);
      expect(result.spec).toBeDefined();
      expect(result.spec?.runbook).toBeUndefined();
      expect(result.problems).toEqual([
        {
          annotation: ANNOTATION_RUNBOOK,
          value,
          message: expect.stringContaining('http(s) URL'),
        },
      ]);
    });
  });

  it('reports every bad annotation at once, in documentation order', () => {
    const result = parseModelSpec(
      model({
        [ANNOTATION_MODEL_ID]: 'Bad_Id',
        [ANNOTATION_RUNTIME]: 'mainframe',
        [ANNOTATION_STRATEGY]: 'big-bang',
        [ANNOTATION_METRICS_SOURCE]: 'carrier pigeon',
        [ANNOTATION_RULES]: 'lax',
        [ANNOTATION_ALERT_ROUTE]: '',
        [ANNOTATION_RUNBOOK]: 'ftp://runbook',
        [ANNOTATION_COST]: 'free',
      }),
      {
        runtimes: ['local', 'kubernetes'],
        ruleSets: ['default'],
        costModels: ['default', 'gpu'],
      },
    );
    expect(result.ok).toBe(false);
    expect(result.spec).toBeUndefined();
    expect(result.problems.map(p => [p.annotation, p.value])).toEqual([
      [ANNOTATION_MODEL_ID, 'Bad_Id'],
      [ANNOTATION_RUNTIME, 'mainframe'],
      [ANNOTATION_STRATEGY, 'big-bang'],
      [ANNOTATION_METRICS_SOURCE, 'carrier pigeon'],
      [ANNOTATION_RULES, 'lax'],
      [ANNOTATION_ALERT_ROUTE, ''],
      [ANNOTATION_COST, 'free'],
      [ANNOTATION_RUNBOOK, 'ftp://runbook'],
    ]);
    const byAnnotation = Object.fromEntries(
      result.problems.map(p => [p.annotation, p]),
    );
    expect(byAnnotation[ANNOTATION_RUNTIME].allowed).toEqual([
      'local',
      'kubernetes',
    ]);
    expect(byAnnotation[ANNOTATION_COST].allowed).toEqual(['default', 'gpu']);
    expect(byAnnotation[ANNOTATION_METRICS_SOURCE].allowed).toBeUndefined();
  });

  it('still returns a spec with defaults when only other annotations are bad', () => {
    const result = parseModelSpec(
      withId({ [ANNOTATION_RUNTIME]: 'nope', [ANNOTATION_STRATEGY]: 'nope' }),
      { runtimes: ['local'] },
    );
    expect(result.ok).toBe(false);
    expect(result.problems).toHaveLength(2);
    expect(result.spec).toMatchObject({
      modelId: 'sentiment',
      runtime: 'local',
      strategy: 'blue-green',
    });
  });

  it('builds the entity ref from kind, namespace and name', () => {
    const entity = withId();
    entity.kind = 'Resource';
    entity.metadata.namespace = 'ml';
    expect(parseModelSpec(entity).spec?.entityRef).toBe(
      'resource:ml/sentiment-classifier',
    );
    delete entity.metadata.namespace;
    expect(parseModelSpec(entity).spec?.entityRef).toBe(
      'resource:default/sentiment-classifier',
    );
  });
});

describe('entityRoutePath', () => {
  it('builds the path of an entity, with the kind lower-cased', () => {
    expect(entityRoutePath(withId())).toBe(
      '/entities/component/default/sentiment-classifier',
    );
  });

  it('defaults the namespace of an entity', () => {
    const entity = withId();
    delete entity.metadata.namespace;
    expect(entityRoutePath(entity)).toBe(
      '/entities/component/default/sentiment-classifier',
    );
  });

  it('builds the path of a string ref', () => {
    expect(entityRoutePath('Component:ML-Team/Sentiment')).toBe(
      '/entities/component/ML-Team/Sentiment',
    );
    expect(entityRoutePath('resource:default/llm')).toBe(
      '/entities/resource/default/llm',
    );
  });

  it('URL-encodes every part', () => {
    expect(entityRoutePath('Com#p:name space/a?b&c')).toBe(
      '/entities/com%23p/name%20space/a%3Fb%26c',
    );
    const entity = model({ [ANNOTATION_MODEL_ID]: 'x' }, 'what?');
    entity.metadata.namespace = 'a b';
    expect(entityRoutePath(entity)).toBe('/entities/component/a%20b/what%3F');
  });

  it('refuses a string ref without a kind', () => {
    expect(() => entityRoutePath('default/sentiment')).toThrow(/kind/i);
  });
});
