/*
 * A small fake runtime for the production strategies: a loopback model server per slot, and one
 * for production that answers with the version of the slot the router would pick. With all
 * traffic on one slot that slot answers; with a split (a canary step) the answers alternate in
 * the proportion of the weights, deterministically. Not a stand-in for the local runtime, whose
 * own tests run real processes: it lets the strategies be stopped at every step quickly.
 */
import { SlotName } from '@model-ops/plugin-model-ops-common';
import { ModelRuntime, TrafficWeights } from '@model-ops/plugin-model-ops-node';
import http from 'node:http';
import { AddressInfo } from 'node:net';

async function serve(
  versionOf: () => string,
): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer((req, res) => {
    req.resume().on('end', () =>
      res
        .writeHead(200, {
          'content-type': 'application/json',
          'x-model-version': versionOf(),
        })
        .end(
          JSON.stringify({ predictions: [{ label: 'positive', score: 1 }] }),
        ),
    );
  });
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
  };
}

/** The fake, with what it runs and serves, and a log of the calls that change it. */
export function fakeRuntime() {
  const versions = new Map<SlotName, string>();
  const servers: http.Server[] = [];
  const endpoints = new Map<SlotName, string>();
  const writes: string[] = [];
  let production = '';
  let traffic: TrafficWeights = {};
  let counter = 0;
  /** The version production answers with for the next request. */
  const serving = () => {
    const weighted = [...versions.keys()]
      .map(slot => [slot, traffic[slot] ?? 0] as const)
      .filter(([, weight]) => weight > 0);
    const total = weighted.reduce((sum, [, weight]) => sum + weight, 0);
    if (total === 0) return 'none';
    let pick = counter++ % total;
    for (const [slot, weight] of weighted) {
      if (pick < weight) return versions.get(slot)!;
      pick -= weight;
    }
    return 'none';
  };
  const runtime: ModelRuntime = {
    id: 'fake',
    configSchema: {},
    frameworks: ['model-server/v1'],
    deploy: async ({ slot, artifact }) => {
      writes.push(`deploy ${slot} ${artifact.version}`);
      versions.set(slot, artifact.version);
      if (!endpoints.has(slot)) {
        const { url, server } = await serve(() => versions.get(slot) ?? 'none');
        servers.push(server);
        endpoints.set(slot, url);
      }
      return { endpoint: endpoints.get(slot)! };
    },
    undeploy: async ({ slot }) => {
      writes.push(`undeploy ${slot}`);
      versions.delete(slot);
    },
    setTraffic: async ({ weights }) => {
      writes.push(`traffic ${JSON.stringify(weights)}`);
      traffic = { ...traffic, ...weights };
    },
    getTraffic: async () => traffic,
    health: async ({ slot }) => ({
      slot,
      status: versions.has(slot) ? 'healthy' : 'absent',
      version: versions.get(slot),
      checkedAt: new Date(),
    }),
    describe: async () => ({
      productionEndpoint: production,
      slots: [...versions.entries()].map(([slot, version]) => ({
        slot,
        version,
        endpoint: endpoints.get(slot),
        status: 'healthy' as const,
      })),
      traffic,
    }),
  };
  return {
    runtime,
    versions,
    writes,
    traffic: () => traffic,
    /** What a production request is answered by when all traffic is on one slot. */
    serving: () =>
      [...versions.entries()].find(([slot]) => traffic[slot] === 100)?.[1] ??
      'split or none',
    async start() {
      const { url, server } = await serve(serving);
      servers.push(server);
      production = url;
    },
    stop: () =>
      Promise.all(
        servers.map(server => new Promise(resolve => server.close(resolve))),
      ),
    reset() {
      versions.clear();
      writes.length = 0;
      traffic = {};
      counter = 0;
    },
  };
}

/** The fake runtime's type. */
export type FakeRuntime = ReturnType<typeof fakeRuntime>;
