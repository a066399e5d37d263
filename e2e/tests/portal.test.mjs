/*
 * The portal in a real browser: guest sign-in, the Model Ops tabs on model entity pages (and
 * not on other components), the Model Ops page, and the API's authentication.
 * Run with e2e/run.mjs (`yarn e2e`), which starts the backend and sets E2E_BASE_URL.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  TIMEOUTS,
  api,
  baseUrl,
  guestToken,
  launchBrowser,
  newPage,
  open,
  outputDir,
  entityTab,
  entityTabNames,
  isSelectedTab,
  signInAsGuest,
  waitForEntity,
  withFailureReport,
} from './helpers.mjs';

const MODEL = 'sentiment-classifier';
const NON_MODEL = 'model-ops-portal';
const MODEL_TABS = ['Deployments', 'Alerts', 'Capacity'];
const MODEL_PATH = `/catalog/default/component/${MODEL}`;
const NON_MODEL_PATH = `/catalog/default/component/${NON_MODEL}`;
const SCREENSHOT = path.join(outputDir, 'model-deployments.png');

describe('Model Ops portal', () => {
  let browser;
  let page;
  let signedIn;

  before(async () => {
    fs.mkdirSync(outputDir, { recursive: true });
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  after(async () => {
    await browser?.close().catch(() => {});
  });

  /** Every UI test needs the session; a failed sign-in fails them all with its reason. */
  function ensureSignedIn() {
    signedIn ??= withFailureReport(page, 'sign-in', () => signInAsGuest(page));
    return signedIn;
  }

  test('signs in as guest and shows the catalog', async () => {
    await ensureSignedIn();
    await withFailureReport(page, 'catalog', async () => {
      // The catalog is the landing page; every entity row links to its entity page. The
      // portal's own component (catalog-info.yaml) is always there, whoever owns the models.
      await waitForEntity('component', 'default', NON_MODEL);
      await open(page, '/');
      const entityLinks = page.locator('a[href*="/catalog/default/"]');
      await entityLinks
        .first()
        .waitFor({ state: 'visible', timeout: TIMEOUTS.content })
        .catch(() => {
          throw new Error(
            `the landing page (the catalog) shows no links to entity pages within ${
              TIMEOUTS.content / 1000
            }s after sign-in`,
          );
        });
    });
  });

  test(`a model's entity page has the ${MODEL_TABS.join(
    ', ',
  )} tabs`, async () => {
    await ensureSignedIn();
    await waitForEntity('component', 'default', MODEL);
    await withFailureReport(page, 'model-tabs', async () => {
      await open(page, MODEL_PATH);
      await page
        .getByRole('heading', { name: /sentiment[ -]classifier/i })
        .first()
        .waitFor({ state: 'visible', timeout: TIMEOUTS.content })
        .catch(() => {
          throw new Error(
            `the entity page of ${MODEL} shows no heading with its name or title`,
          );
        });
      for (const name of MODEL_TABS) {
        await entityTab(page, MODEL_PATH, name)
          .first()
          .waitFor({ state: 'visible', timeout: TIMEOUTS.content })
          .catch(async () => {
            const tabs = await entityTabNames(page, MODEL_PATH);
            throw new Error(
              `the entity page of ${MODEL} has no "${name}" tab (its tabs: ${
                tabs.map(t => JSON.stringify(t)).join(', ') || 'none'
              })`,
            );
          });
        assert.equal(
          await entityTab(page, MODEL_PATH, name).count(),
          1,
          `exactly one "${name}" tab`,
        );
      }

      const deployments = entityTab(page, MODEL_PATH, 'Deployments').first();
      await deployments.click();
      const selectedBy = Date.now() + TIMEOUTS.content;
      while (!(await isSelectedTab(deployments))) {
        if (Date.now() > selectedBy) {
          throw new Error(
            `the Deployments tab did not become the selected tab after clicking it (at ${page.url()})`,
          );
        }
        await new Promise(resolve => setTimeout(resolve, 200));
      }
      // The model id must be in the tab's content, not only in the page header or the tabs.
      await page
        .waitForFunction(
          id => {
            const walker = document.createTreeWalker(
              document.body,
              NodeFilter.SHOW_TEXT,
            );
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              const el = node.parentElement;
              if (!node.textContent?.includes(id) || !el) continue;
              if (
                el.closest(
                  'header, nav, [role="tablist"], title, script, style',
                )
              )
                continue;
              if (el.getClientRects().length > 0) return true;
            }
            return false;
          },
          MODEL,
          { timeout: TIMEOUTS.content },
        )
        .catch(() => {
          throw new Error(
            `the Deployments tab (${page.url()}) does not show the model id "${MODEL}"`,
          );
        });
      await page
        .waitForLoadState('networkidle', { timeout: 10_000 })
        .catch(() => {});
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      assert.ok(
        fs.statSync(SCREENSHOT).size > 10_000,
        `${SCREENSHOT} looks empty`,
      );
    });
  });

  test('a component that is not a model has none of the Model Ops tabs', async () => {
    await ensureSignedIn();
    await waitForEntity('component', 'default', NON_MODEL);
    await withFailureReport(page, 'non-model-tabs', async () => {
      await open(page, NON_MODEL_PATH);
      // First make sure the page has loaded, so that "no tab" means something.
      await page
        .getByRole('heading', {
          name: /model ops for backstage|model-ops-portal/i,
        })
        .first()
        .waitFor({ state: 'visible', timeout: TIMEOUTS.content })
        .catch(() => {
          throw new Error(
            `the entity page of ${NON_MODEL} did not load (no heading with its title)`,
          );
        });
      await entityTab(page, NON_MODEL_PATH, 'Overview')
        .first()
        .waitFor({ state: 'visible', timeout: TIMEOUTS.content })
        .catch(() => {
          throw new Error(
            `the entity page of ${NON_MODEL} shows no Overview tab: its tabs did not render`,
          );
        });
      const tabs = await entityTabNames(page, NON_MODEL_PATH);
      for (const name of MODEL_TABS) {
        assert.equal(
          await entityTab(page, NON_MODEL_PATH, name).count(),
          0,
          `the entity page of ${NON_MODEL} (not a model) must not have a "${name}" tab (its tabs: ${tabs.join(
            ', ',
          )})`,
        );
      }
    });
  });

  test('the Model Ops page lists the models with links', async () => {
    await ensureSignedIn();
    const { status, body } = await api('/api/model-ops/models');
    assert.equal(status, 200, `GET /api/model-ops/models answered ${status}`);
    const models = body.items ?? [];
    assert.ok(
      models.some(model => model.name === MODEL),
      `the API lists no ${MODEL} (it lists: ${
        models.map(m => m.name).join(', ') || 'nothing'
      })`,
    );
    await withFailureReport(page, 'model-ops-page', async () => {
      await open(page, '/model-ops');
      for (const model of models) {
        const label = model.title || model.name;
        await page
          .getByRole('link', { name: label })
          .first()
          .waitFor({ state: 'visible', timeout: TIMEOUTS.content })
          .catch(() => {
            throw new Error(
              `the Model Ops page (/model-ops) has no link for the model "${label}" (${model.entityRef})`,
            );
          });
      }
      const modelLink = page
        .getByRole('link', {
          name: models.find(m => m.name === MODEL).title || MODEL,
        })
        .first();
      const href = await modelLink.getAttribute('href');
      assert.match(
        String(href),
        /sentiment-classifier/,
        `the link for ${MODEL} points at ${href}`,
      );
    });
  });
});

describe('Model Ops API', () => {
  test('GET /api/model-ops/models with a guest token lists the models', async () => {
    await waitForEntity('component', 'default', MODEL);
    const { status, body, text } = await api('/api/model-ops/models', {
      token: await guestToken(),
    });
    assert.equal(status, 200, `answered ${status}: ${text.slice(0, 300)}`);
    assert.ok(
      Array.isArray(body?.items),
      `the body has no items array: ${text.slice(0, 300)}`,
    );
    const names = body.items.map(model => model.name);
    assert.ok(
      names.includes(MODEL),
      `the items do not include ${MODEL}: ${names.join(', ') || 'none'}`,
    );
    assert.ok(
      !names.includes(NON_MODEL),
      `${NON_MODEL} is not a model but is listed`,
    );
  });

  test('GET /api/model-ops/models without a token answers 401', async () => {
    const { status, text } = await api('/api/model-ops/models', {
      token: false,
    });
    assert.equal(
      status,
      401,
      `answered ${status} instead of 401: ${text.slice(0, 300)}`,
    );
  });

  test(`the backend serves the app at ${baseUrl}/`, async () => {
    const response = await fetch(`${baseUrl}/`, {
      signal: AbortSignal.timeout(TIMEOUTS.action),
    });
    assert.equal(response.status, 200);
    assert.match(await response.text(), /<div id="root"/);
  });
});
