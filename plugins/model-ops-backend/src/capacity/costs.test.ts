import {
  CostModel,
  costOf,
  costPerRequest,
  createCostPerRequest,
  instanceHourPrice,
} from './costs';

const hour = {
  from: new Date('2026-12-01T10:00:00Z'),
  to: new Date('2026-12-01T11:00:00Z'),
};

describe('costs', () => {
  it('spreads the instance-hours of a window over its requests', () => {
    expect(
      costPerRequest(
        { name: 'x', instanceHourUsd: 0.1, instances: 2 },
        hour,
        1000,
      ),
    ).toBeCloseTo(0.0002);
    expect(
      costPerRequest(
        { name: 'x', instanceHourUsd: 0.1, instances: 1 },
        hour,
        0,
      ),
    ).toBeUndefined();
  });

  it("uses each model's own cost model and falls back to default", () => {
    const fn = createCostPerRequest({
      costModels: new Map([
        ['default', { name: 'default', instanceHourUsd: 0.1, instances: 1 }],
        ['gpu', { name: 'gpu', instanceHourUsd: 3, instances: 1 }],
      ]),
      costModelOf: id => (id === 'big' ? 'gpu' : undefined),
    });
    expect(
      fn({ modelId: 'big', slot: 'blue', window: hour, requests: 100 }),
    ).toBeCloseTo(0.03);
    expect(
      fn({ modelId: 'small', slot: 'blue', window: hour, requests: 100 }),
    ).toBeCloseTo(0.001);
  });

  describe('each price of a cost model', () => {
    const base: CostModel = { name: 'm', instanceHourUsd: 0.5, instances: 2 };

    it('prices instance-hours', () => {
      expect(instanceHourPrice(base)).toBe(0.5);
      expect(costOf(base, { instanceHours: 10, requests: 1e6 })).toBeCloseTo(
        5,
        12,
      );
    });

    it('adds the GPU-hours of each instance (one GPU unless told)', () => {
      expect(instanceHourPrice({ ...base, gpuHourUsd: 2 })).toBe(2.5);
      expect(
        instanceHourPrice({ ...base, gpuHourUsd: 2, gpusPerInstance: 4 }),
      ).toBe(8.5);
      expect(instanceHourPrice({ ...base, gpusPerInstance: 4 })).toBe(0.5);
      expect(
        costOf(
          { ...base, gpuHourUsd: 2, gpusPerInstance: 4 },
          { instanceHours: 3, requests: 0 },
        ),
      ).toBeCloseTo(25.5, 12);
    });

    it('adds the price of 1,000 requests', () => {
      expect(
        costOf(
          { ...base, instanceHourUsd: 0, per1kRequestsUsd: 0.03 },
          { instanceHours: 5, requests: 36_000 },
        ),
      ).toBeCloseTo(1.08, 12);
    });

    it('adds the price of 1,000 tokens only for measured tokens', () => {
      const llm = { ...base, instanceHourUsd: 0, per1kTokensUsd: 0.002 };
      expect(
        costOf(llm, { instanceHours: 1, requests: 10, tokens: 360_000 }),
      ).toBeCloseTo(0.72, 12);
      expect(costOf(llm, { instanceHours: 1, requests: 10 })).toBe(0);
    });

    it('puts all of them into the cost per request', () => {
      expect(
        costPerRequest(
          {
            ...base,
            gpuHourUsd: 2,
            gpusPerInstance: 4,
            per1kRequestsUsd: 0.03,
          },
          hour,
          36_000,
        ),
      ).toBeCloseTo((2 * 8.5 + 1.08) / 36_000, 12);
    });
  });
});
