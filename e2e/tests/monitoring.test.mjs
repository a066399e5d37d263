/*
 * The Alerts tab's live view in a real browser: real traffic to a demo model through its router,
 * the monitoring task (every 3 s in the e2e config) scraping the model server, and the tiles
 * showing values that change between two looks.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  TIMEOUTS,
  api,
  launchBrowser,
  newPage,
  open,
  outputDir,
  signInAsGuest,
  sleep,
  waitForProduction,
  waitForEntity,
  withFailureReport,
} from './helpers.mjs';

const MODEL = 'fraud-detector';
const ALERTS = `/catalog/default/component/${MODEL}/alerts`;

/** Sends `count` predictions through the production endpoint, `concurrency` at a time. */
async function traffic(endpoint, count, concurrency = 4) {
  let sent = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < count) {
        sent++;
        const response = await fetch(new URL('/v1/predict', endpoint), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            input: 'arrived quickly and works perfectly',
          }),
          signal: AbortSignal.timeout(TIMEOUTS.action),
        });
        await response.arrayBuffer();
      }
    }),
  );
}

/** The text of a metric tile's value, or undefined while it shows none. */
async function tileValue(page, metric) {
  const value = page
    .getByTestId(`metric-tile-${metric}`)
    .getByTestId('metric-value');
  return (await value.count()) > 0
    ? (await value.first().innerText()).trim()
    : undefined;
}

describe('Alerts tab', () => {
  let browser;
  let page;

  before(async () => {
    fs.mkdirSync(outputDir, { recursive: true });
    browser = await launchBrowser();
    page = await newPage(browser);
    await waitForEntity('component', 'default', MODEL);
    await signInAsGuest(page);
  });

  after(async () => {
    await browser?.close().catch(() => {});
  });

  test('shows live values that change between two looks', async () => {
    // The demo bootstrap puts 1.0.0 in production; wait for it (bounded).
    const model = await waitForProduction(MODEL);
    assert.ok(
      model?.productionEndpoint,
      `${MODEL} has no production endpoint: ${JSON.stringify(model)}`,
    );

    await withFailureReport(page, 'alerts-live', async () => {
      // First look: some traffic, then wait until the tiles show a throughput.
      await traffic(model.productionEndpoint, 100);
      let first;
      for (let i = 0; i < 30 && !first; i++) {
        await open(page, ALERTS);
        await page
          .getByTestId('metric-tile-throughput')
          .waitFor({ timeout: TIMEOUTS.content });
        first = await tileValue(page, 'throughput');
        if (!first) {
          await traffic(model.productionEndpoint, 50);
          await sleep(2000);
        }
      }
      assert.ok(first, 'the throughput tile never showed a value');
      const firstCpu = await tileValue(page, 'cpu');

      // Second look, after a different amount of traffic: the values have moved.
      let second;
      for (let i = 0; i < 30; i++) {
        await traffic(model.productionEndpoint, 400, 8);
        await sleep(3500);
        await open(page, ALERTS);
        await page
          .getByTestId('metric-tile-throughput')
          .waitFor({ timeout: TIMEOUTS.content });
        second = await tileValue(page, 'throughput');
        if (second && second !== first) break;
      }
      assert.notEqual(second, first, `the throughput stayed at ${first}`);
      const status = await api(
        `/api/model-ops/entities/component/default/${MODEL}/status`,
      );
      assert.equal(status.status, 200);
      assert.ok(
        status.body.collectedAt,
        'the status says when it was collected',
      );
      assert.notEqual(
        status.body.status,
        'unknown',
        'the model has a status from its rules',
      );
      // eslint-disable-next-line no-console
      console.log(
        `[e2e] throughput ${first} -> ${second}; cpu first look ${
          firstCpu ?? 'not reported'
        }`,
      );
    });
  });
});
