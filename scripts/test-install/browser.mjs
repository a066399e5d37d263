/*
 * The installed app in Chromium: the model's Deployments tab shows the run the pipeline
 * finished, and its Alerts tab shows live values. Uses the browser helpers of the repository's
 * own browser tests (e2e/tests/helpers.mjs: Debian's Chromium through playwright-core, guest
 * sign-in, failure screenshots); they read E2E_BASE_URL and E2E_OUTPUT_DIR when first imported.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CheckError, sleep } from './processes.mjs';

/** Loads the e2e helpers against the installed app. */
export async function loadHelpers(root, { baseUrl, outputDir, chromiumPath }) {
  process.env.E2E_BASE_URL = baseUrl;
  process.env.E2E_OUTPUT_DIR = outputDir;
  process.env.CHROMIUM_PATH = chromiumPath;
  return import(
    pathToFileURL(path.join(root, 'e2e', 'tests', 'helpers.mjs')).href
  );
}

const TABS = ['Deployments', 'Alerts', 'Capacity'];

/** Signs in as guest and checks the model's entity page has the three Model Ops tabs. */
export async function openModelPage(h, page, entityPath, log) {
  await h.signInAsGuest(page);
  await h.open(page, entityPath);
  for (const name of TABS) {
    const tab = h.entityTab(page, entityPath, name).first();
    await tab
      .waitFor({ state: 'visible', timeout: h.TIMEOUTS.content })
      .catch(async () => {
        throw new CheckError(
          `the entity page ${entityPath} has no "${name}" tab (tabs: ${(
            await h.entityTabNames(page, entityPath)
          ).join(', ')})`,
        );
      });
  }
  log(`the entity page has the ${TABS.join(', ')} tabs`);
}

/** The Deployments tab shows the run, with its production stage done and "Succeeded". */
export async function checkDeploymentsTab(
  h,
  page,
  { entityPath, version, screenshot },
  log,
) {
  await h.open(page, `${entityPath}/deployments`);
  const wait = (locator, what) =>
    locator.waitFor({ timeout: h.TIMEOUTS.content }).catch(() => {
      throw new CheckError(`the Deployments tab does not show ${what}`);
    });
  await wait(
    page.getByText(`Deploy ${version}`).first(),
    `the run "Deploy ${version}"`,
  );
  await wait(
    page
      .getByTestId('stage-production')
      .getByText(/100 % to (blue|green)/)
      .first(),
    'the production stage with all traffic on the new color',
  );
  await wait(page.getByText('Succeeded').first(), 'the run as "Succeeded"');
  const testing = await page.getByTestId('stage-testing').innerText();
  const p95 = testing.match(/p95: [\d.]+ ms/)?.[0];
  log(
    `the Deployments tab shows "Deploy ${version}" succeeded${
      p95 ? ` (testing ${p95})` : ''
    }`,
  );
  // Let the charts and the environments panel finish drawing before the picture.
  await page
    .waitForLoadState('networkidle', { timeout: 5_000 })
    .catch(() => {});
  await page.screenshot({ path: screenshot, fullPage: true, timeout: 30_000 });
  log(`screenshot: ${screenshot}`);
}

/** Sends `count` predictions to the production endpoint, a few at a time. */
export async function traffic(endpoint, count, concurrency = 4) {
  let sent = 0;
  let failed = 0;
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
          signal: AbortSignal.timeout(15_000),
        });
        await response.arrayBuffer();
        if (response.status !== 200) failed++;
      }
    }),
  );
  return { sent, failed };
}

async function tileValue(page, metric) {
  const value = page
    .getByTestId(`metric-tile-${metric}`)
    .getByTestId('metric-value');
  return (await value.count()) > 0
    ? (await value.first().innerText()).trim()
    : undefined;
}

const LIVE_METRICS = ['throughput', 'responseTimeP95', 'errorRate'];
const OTHER_METRICS = ['cpu', 'memory', 'disk', 'costPerRequest'];

/**
 * Traffic through the model's router, then the Alerts tab until the traffic metrics show
 * values (bounded by `timeoutMs`); a second look after more traffic shows them move.
 */
export async function checkAlertsTab(
  h,
  page,
  { entityPath, endpoint, screenshot, timeoutMs },
  log,
) {
  const deadline = Date.now() + timeoutMs;
  const look = async () => {
    await h.open(page, `${entityPath}/alerts`);
    await page
      .getByTestId('metric-tile-throughput')
      .waitFor({ timeout: h.TIMEOUTS.content })
      .catch(() => {
        throw new CheckError('the Alerts tab shows no metric tiles');
      });
    const values = {};
    for (const metric of [...LIVE_METRICS, ...OTHER_METRICS])
      values[metric] = await tileValue(page, metric);
    return values;
  };

  let first;
  for (;;) {
    const sent = await traffic(endpoint, 100);
    if (sent.failed > 0)
      throw new CheckError(
        `${sent.failed} of ${sent.sent} predictions through ${endpoint} failed`,
      );
    await sleep(3_000);
    first = await look();
    if (LIVE_METRICS.every(metric => first[metric] !== undefined)) break;
    if (Date.now() > deadline) {
      throw new CheckError(
        `the Alerts tab did not show values for ${LIVE_METRICS.join(
          ', ',
        )} within ${timeoutMs / 1000}s (last look: ${JSON.stringify(first)})`,
      );
    }
  }
  const shown = values =>
    Object.entries(values)
      .map(([metric, value]) => `${metric} ${value ?? 'not reported'}`)
      .join(', ');
  log(`first look: ${shown(first)}`);

  let second;
  for (;;) {
    await traffic(endpoint, 300, 8);
    await sleep(5_000);
    second = await look();
    // A moved value with traffic behind it: not 0 between two scrapes.
    if (
      second.throughput !== first.throughput &&
      parseFloat(second.throughput) > 0
    )
      break;
    if (Date.now() > deadline) {
      throw new CheckError(
        `the throughput on the Alerts tab did not move from ${first.throughput} to another non-zero value after more traffic (last: ${second.throughput})`,
      );
    }
  }
  log(`second look: ${shown(second)}`);
  await page.screenshot({ path: screenshot, fullPage: true, timeout: 30_000 });
  log(`screenshot: ${screenshot}`);
}
