import { costPerRequest, createCostPerRequest } from './costs';

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
});
