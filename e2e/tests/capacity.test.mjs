/*
 * The Capacity tab in a real browser, on the demo history: at start the backend seeds 30 days of
 * the demo traffic pattern for each demo model through the sample store and the hourly rollup
 * (marked as seeded). fraud-detector grows by about 30 % a month, so its report has a projection
 * and a planning recommendation; the tab shows them, says the history is seeded, switches
 * periods, and exports a series as CSV. The Model Ops page then shows the model's projected
 * monthly cost and top recommendation (stored when the tab read its 7-day report), linking to the
 * tab.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  TIMEOUTS,
  api,
  entityTab,
  launchBrowser,
  newPage,
  open,
  outputDir,
  signInAsGuest,
  sleep,
  waitForEntity,
  withFailureReport,
} from './helpers.mjs';

const MODEL = 'fraud-detector';
const ENTITY = `/catalog/default/component/${MODEL}`;
const CAPACITY = `${ENTITY}/capacity`;
const ROUTE = `/api/model-ops/entities/component/default/${MODEL}/capacity`;

/** The 30-day report once the demo history is stored (bounded: 3 minutes). */
async function seededReport() {
  let last;
  for (let i = 0; i < 180; i++) {
    const { status, body } = await api(`${ROUTE}?period=30d`);
    last = { status, body };
    if (
      status === 200 &&
      body.seeded &&
      body.projection?.status === 'ok' &&
      body.recommendations?.length > 0
    ) {
      return body;
    }
    await sleep(1000);
  }
  throw new Error(
    `no seeded 30-day report with a projection after 3 minutes; last answer ${
      last?.status
    }: ${JSON.stringify(last?.body).slice(0, 400)}`,
  );
}

describe('Capacity tab', () => {
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

  test('the route names a bad period and answers the seeded report', async () => {
    const bad = await api(`${ROUTE}?period=2w`);
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /period/);

    const report = await seededReport();
    assert.equal(report.period, '30d');
    assert.ok(report.requests.total > 0, 'requests were stored');
    assert.ok(
      report.projection.growthPerMonth > 0.1,
      `fraud-detector grows (growth per month ${report.projection.growthPerMonth})`,
    );
    assert.ok(
      report.recommendations.some(r => r.type === 'planning'),
      `a planning recommendation: ${report.recommendations
        .map(r => r.type)
        .join(', ')}`,
    );
    assert.ok(report.cost.total > 0, 'a cost from the cost model');
  });

  test('shows usage, projection, recommendations and the seeded banner', async () => {
    await withFailureReport(page, 'capacity tab', async () => {
      await seededReport();
      await open(page, ENTITY);
      await entityTab(page, ENTITY, 'Capacity').first().click();
      await page.waitForURL(url => url.pathname.endsWith('/capacity'), {
        timeout: TIMEOUTS.content,
      });
      await page
        .getByTestId('capacity-seeded')
        .waitFor({ timeout: TIMEOUTS.content });
      assert.match(
        await page.getByTestId('capacity-seeded').innerText(),
        /seeded/i,
      );

      // The period selector: 30 days, and the charts draw (recharts renders SVG paths).
      await page.getByRole('button', { name: /^\s*30 d\s*$/ }).click();
      const requests = page.getByTestId('capacity-requests-per-hour');
      await requests.waitFor({ timeout: TIMEOUTS.content });
      await page
        .getByTestId('capacity-requests-projection')
        .locator('svg path')
        .first()
        .waitFor({ timeout: TIMEOUTS.content });
      assert.ok(
        (await requests.locator('svg path').count()) > 0,
        'the request volume chart draws',
      );
      assert.ok(
        (await page.getByTestId('capacity-utilization').count()) > 0,
        'the utilization chart is shown',
      );

      // Recommendations, with the seed's planning rule for the growing model.
      const text = await page.locator('main').innerText();
      assert.match(text, /Recommendations/);
      assert.match(text, /Bottlenecks/);
      assert.match(text, /Projection/);
      assert.match(text, /planning/i);

      // CSV export of a series shown: a real download with a header row.
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: TIMEOUTS.action }),
        page
          .getByRole('button', { name: 'Download recommendations as CSV' })
          .click(),
      ]);
      const file = path.join(outputDir, download.suggestedFilename());
      await download.saveAs(file);
      const csv = fs.readFileSync(file, 'utf8');
      assert.match(download.suggestedFilename(), /\.csv$/);
      assert.ok(csv.split('\n').length > 1, `a CSV with rows: ${csv}`);

      await page.screenshot({
        path: path.join(outputDir, 'model-capacity.png'),
        fullPage: true,
      });
    });
  });

  test('the Model Ops page shows the projected monthly cost and top recommendation', async () => {
    await withFailureReport(page, 'model-ops-page-capacity', async () => {
      // The tab opened on 7 days stored the summary; the list joins it. The other seeded demo
      // models' 7-day reports are read too, so the page (and its screenshot) shows theirs.
      for (const other of ['churn-predictor', 'sentiment-classifier']) {
        const res = await api(
          `/api/model-ops/entities/component/default/${other}/capacity?period=7d`,
        );
        assert.equal(res.status, 200, `${other}: ${res.status}`);
      }
      const { status, body } = await api(
        `/api/model-ops/models?q=${MODEL}&limit=5`,
      );
      assert.equal(status, 200);
      const model = body.items.find(
        m => m.entityRef === `component:default/${MODEL}`,
      );
      assert.ok(
        model?.capacity,
        `a capacity summary: ${JSON.stringify(model)}`,
      );
      assert.equal(model.capacity.projectedMonthlyCost.basis, 'projection');
      assert.ok(model.capacity.projectedMonthlyCost.amount > 0);
      const top = model.capacity.topRecommendation;
      assert.ok(top, 'a top recommendation');

      await open(page, '/model-ops');
      // The model's top recommendation links to its Capacity tab; its row shows the cost.
      const link = page.locator(`a[href$="${CAPACITY}"]`);
      await link.waitFor({ timeout: TIMEOUTS.content });
      assert.match(await link.innerText(), new RegExp(top.title));
      const row = page.locator('tr', { has: link });
      assert.match(await row.innerText(), /\$[\d,]+\.\d\d/);
      await page.screenshot({
        path: path.join(outputDir, 'model-ops-page.png'),
        fullPage: true,
      });
    });
  });
});
