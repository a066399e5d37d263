/*
 * The deployment story from the Deployments tab, in a real browser against the real pipeline:
 * the demo bootstrap puts 1.0.0 in production; deploying 1.1.0 succeeds and serves through the
 * model's router; deploying 2.0.0 stops at testing with the failing functional case shown.
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
  waitForEntity,
  withFailureReport,
} from './helpers.mjs';

const MODEL = 'sentiment-classifier';
const DEPLOYMENTS = `/catalog/default/component/${MODEL}/deployments`;
/** A run takes a few seconds per stage on this machine; bound the wait generously. */
const RUN_TIMEOUT = 120_000;

/** Polls the model until `predicate` holds, bounded. */
async function waitForModel(predicate, what, timeout = RUN_TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    const { status, body } = await api(
      `/api/model-ops/entities/component/default/${MODEL}`,
    );
    last = body;
    if (status === 200 && predicate(body)) return body;
    await sleep(1000);
  }
  throw new Error(
    `${what} did not happen within ${
      timeout / 1000
    }s; last state: ${JSON.stringify(last)?.slice(0, 400)}`,
  );
}

/** Waits until no run of the model is active, bounded. */
async function waitForNoActiveRun(timeout = RUN_TIMEOUT) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const { body } = await api(
      `/api/model-ops/entities/component/default/${MODEL}/deployments?limit=5`,
    );
    if (
      Array.isArray(body?.items) &&
      !body.items.some(r => r.status === 'pending' || r.status === 'running')
    ) {
      return body.items;
    }
    await sleep(1000);
  }
  throw new Error(
    `a run of ${MODEL} was still active after ${timeout / 1000}s`,
  );
}

async function deployFromTab(page, version) {
  await open(page, DEPLOYMENTS);
  const deploy = page
    .getByRole('button', { name: 'Deploy', exact: true })
    .first();
  await deploy.waitFor({ state: 'visible', timeout: TIMEOUTS.content });
  const enabledBy = Date.now() + TIMEOUTS.content;
  while (!(await deploy.isEnabled())) {
    if (Date.now() > enabledBy)
      throw new Error('the Deploy button stayed disabled');
    await sleep(250);
  }
  await deploy.click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor({ state: 'visible', timeout: TIMEOUTS.action });
  // The MUI select of offered versions opens a listbox.
  await dialog.locator('[aria-haspopup="listbox"]').first().click();
  await page
    .getByRole('option', {
      name: new RegExp(`^${version.replace(/\./g, '\\.')}\\b`),
    })
    .click();
  await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
  await dialog.waitFor({ state: 'hidden', timeout: TIMEOUTS.action });
}

describe('Deployments tab', () => {
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

  test('the demo bootstrap serves 1.0.0 through the router', async () => {
    const model = await waitForModel(
      m => m.productionVersion === '1.0.0',
      'the bootstrap of 1.0.0',
    );
    assert.ok(
      model.productionEndpoint,
      'the model reports a production endpoint',
    );
    const response = await fetch(
      new URL('/v1/predict', model.productionEndpoint),
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: 'great value, works perfectly' }),
        signal: AbortSignal.timeout(TIMEOUTS.action),
      },
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-model-version'), '1.0.0');
    await waitForNoActiveRun();
  });

  test('deploying 1.1.0 from the tab succeeds and 1.1.0 serves', async () => {
    await withFailureReport(page, 'deploy-1.1.0', async () => {
      await deployFromTab(page, '1.1.0');
      // Live progress: the run's card shows it without a reload, and ends Succeeded.
      await page
        .getByText('Deploy 1.1.0')
        .first()
        .waitFor({ timeout: TIMEOUTS.content });
      // Blue-green: 1.1.0 goes to the idle color and traffic switches to it.
      await page
        .getByTestId('stage-production')
        .getByText(/100 % to (blue|green)/)
        .first()
        .waitFor({ timeout: RUN_TIMEOUT });
      await page
        .getByText('Succeeded')
        .first()
        .waitFor({ timeout: RUN_TIMEOUT });
      const testing = await page.getByTestId('stage-testing').innerText();
      assert.match(
        testing,
        /p95: [\d.]+ ms/,
        `the testing stage shows its p95: ${testing}`,
      );
      assert.match(
        testing,
        /throughput: [\d.]+ req\/s/,
        'the testing stage shows its throughput',
      );
    });
    const model = await waitForModel(
      m => m.productionVersion === '1.1.0',
      '1.1.0 reaching production',
    );
    const response = await fetch(
      new URL('/v1/predict', model.productionEndpoint),
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: 'not good at all' }),
        signal: AbortSignal.timeout(TIMEOUTS.action),
      },
    );
    assert.equal(response.headers.get('x-model-version'), '1.1.0');
  });

  test('deploying 2.0.0 stops at testing and shows the failing case', async () => {
    await waitForNoActiveRun();
    await withFailureReport(page, 'deploy-2.0.0', async () => {
      await deployFromTab(page, '2.0.0');
      await page
        .getByText('Deploy 2.0.0')
        .first()
        .waitFor({ timeout: TIMEOUTS.content });
      const testing = page.getByTestId('stage-testing');
      await testing
        .getByText(/functional cases failed/)
        .first()
        .waitFor({ timeout: RUN_TIMEOUT });
      const text = await testing.innerText();
      assert.match(
        text,
        /expected "(positive|negative)", got "(positive|negative)"/,
        text,
      );
      // The later stages did not run.
      await page
        .getByText('Skipped')
        .first()
        .waitFor({ timeout: TIMEOUTS.content });
    });
    const runs = await waitForNoActiveRun();
    assert.equal(runs[0].version, '2.0.0');
    assert.equal(runs[0].status, 'failed');
    const model = await waitForModel(() => true, 'reading the model');
    assert.equal(
      model.productionVersion,
      '1.1.0',
      'production still serves 1.1.0',
    );
  });

  test('switching from the environments panel moves traffic and records it', async () => {
    await waitForNoActiveRun();
    const before = await api(
      `/api/model-ops/entities/component/default/${MODEL}/environments`,
    );
    assert.equal(before.status, 200);
    const active = before.body.activeSlot;
    const idle = before.body.slots.find(s => s.slot !== active);
    assert.equal(
      idle.state,
      'running',
      `the idle color ${idle.slot} is warm: ${JSON.stringify(idle)}`,
    );
    await withFailureReport(page, 'switch', async () => {
      await open(page, DEPLOYMENTS);
      await page
        .getByRole('button', { name: `Switch to ${idle.slot}` })
        .first()
        .click();
      const dialog = page.getByRole('dialog');
      await dialog
        .getByRole('button', { name: `Switch to ${idle.slot}` })
        .click();
      await page
        .getByRole('table', { name: 'Switch history' })
        .getByText(/succeeded/i)
        .first()
        .waitFor({ timeout: RUN_TIMEOUT });
    });
    const after = await api(
      `/api/model-ops/entities/component/default/${MODEL}/environments`,
    );
    assert.equal(
      after.body.activeSlot,
      idle.slot,
      'the idle color became active',
    );
    assert.equal(after.body.history[0].kind, 'switch');
    assert.equal(after.body.history[0].status, 'succeeded');
    const response = await fetch(
      new URL('/v1/predict', after.body.productionEndpoint),
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: 'love it' }),
        signal: AbortSignal.timeout(TIMEOUTS.action),
      },
    );
    assert.equal(
      response.headers.get('x-model-version'),
      idle.version,
      'the switched-to version serves',
    );
  });
});
