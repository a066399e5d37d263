import { ModelOpsClient } from '../../api';

const entity = {
  kind: 'Component',
  namespace: 'default',
  name: 'sentiment-classifier',
};
const BASE = 'http://backstage/api/model-ops';
const ENTITY_PATH = `${BASE}/entities/component/default/sentiment-classifier`;

function client(body: unknown = {}) {
  const fetch = jest
    .fn()
    .mockResolvedValue({ ok: true, json: async () => body });
  const api = new ModelOpsClient({
    discoveryApi: { getBaseUrl: async () => BASE },
    fetchApi: { fetch },
  });
  return { api, fetch };
}

describe('ModelOpsClient monitoring calls', () => {
  it('gets the status', async () => {
    const { api, fetch } = client({
      status: 'unknown',
      metrics: [],
      alerts: [],
    });
    await expect(api.getStatus(entity)).resolves.toEqual({
      status: 'unknown',
      metrics: [],
      alerts: [],
    });
    expect(fetch).toHaveBeenCalledWith(`${ENTITY_PATH}/status`, undefined);
  });

  it('gets the metrics of a range with ISO bounds and a step', async () => {
    const { api, fetch } = client();
    await api.getMetrics(entity, {
      from: new Date('2026-11-26T08:00:00.000Z'),
      to: '2026-11-26T09:00:00Z',
      step: 60,
    });
    expect(fetch).toHaveBeenCalledWith(
      `${ENTITY_PATH}/metrics?from=2026-11-26T08%3A00%3A00.000Z&to=2026-11-26T09%3A00%3A00.000Z&step=60`,
      undefined,
    );
  });

  it('lists the alerts, of one state when asked', async () => {
    const { api, fetch } = client({ items: [] });
    await api.listAlerts(entity);
    await api.listAlerts(entity, 'firing');
    expect(fetch).toHaveBeenNthCalledWith(
      1,
      `${ENTITY_PATH}/alerts`,
      undefined,
    );
    expect(fetch).toHaveBeenNthCalledWith(
      2,
      `${ENTITY_PATH}/alerts?state=firing`,
      undefined,
    );
  });
});
