/*
 * Shared pieces of the browser tests: the browser, guest sign-in over the API and in the UI,
 * catalog polling, and failure reports (a screenshot plus the page's console errors).
 * Run through e2e/run.mjs, which sets E2E_BASE_URL, E2E_OUTPUT_DIR and CHROMIUM_PATH.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));

export const baseUrl = (
  process.env.E2E_BASE_URL || 'http://localhost:7007'
).replace(/\/$/, '');
export const outputDir =
  process.env.E2E_OUTPUT_DIR || path.resolve(here, '..', 'output');
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Bounded waits, in milliseconds. */
export const TIMEOUTS = {
  action: 15_000,
  navigation: 45_000,
  /** The app's first render after sign-in, and content that loads from the backend. */
  content: 30_000,
  /** The catalog ingests the demo entities shortly after the backend starts. */
  catalog: 90_000,
};

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/* ------------------------------------------------------------------------------------------ */
/* The API.                                                                                    */

let tokenPromise;

/** A Backstage token for the guest user, from the guest auth provider. */
export function guestToken() {
  tokenPromise ??= (async () => {
    const url = `${baseUrl}/api/auth/guest/refresh`;
    const response = await fetch(url, {
      headers: { 'X-Requested-With': 'XMLHttpRequest' },
      signal: AbortSignal.timeout(TIMEOUTS.action),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(
        `GET ${url} answered ${response.status}: ${text.slice(
          0,
          300,
        )} (is auth.providers.guest configured?)`,
      );
    }
    const token = JSON.parse(text)?.backstageIdentity?.token;
    if (!token)
      throw new Error(
        `GET ${url} returned no backstageIdentity.token: ${text.slice(0, 300)}`,
      );
    return token;
  })();
  tokenPromise.catch(() => {
    tokenPromise = undefined; // let a later caller try again
  });
  return tokenPromise;
}

/**
 * Waits (bounded: 120 looks a second apart) until the demo bootstrap has the model in
 * production, and returns its entity summary. Right after start the backend seeds the demo
 * history and deploys every model while other phases may load the machine, so one look may run
 * past its timeout; that look counts as "not yet", not as a failure.
 */
export async function waitForProduction(model) {
  let body;
  for (let i = 0; i < 120 && !body?.productionEndpoint; i++) {
    try {
      ({ body } = await api(
        `/api/model-ops/entities/component/default/${model}`,
      ));
    } catch (error) {
      if (error?.name !== 'TimeoutError') throw error;
      body = undefined;
    }
    if (!body?.productionEndpoint) await sleep(1000);
  }
  return body;
}

/** GET a backend path; `token: true` sends the guest token. Returns status and parsed body. */
export async function api(pathname, { token = true } = {}) {
  const headers = { Accept: 'application/json' };
  if (token)
    headers.Authorization = `Bearer ${
      typeof token === 'string' ? token : await guestToken()
    }`;
  const response = await fetch(`${baseUrl}${pathname}`, {
    headers,
    signal: AbortSignal.timeout(TIMEOUTS.action),
  });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body, text };
}

/**
 * Waits until the catalog has the entity (`component:default/name`), so that a failing page
 * test can tell "not in the catalog" from "the page does not show it".
 */
export async function waitForEntity(
  kind,
  namespace,
  name,
  timeout = TIMEOUTS.catalog,
) {
  const pathname = `/api/catalog/entities/by-name/${kind}/${namespace}/${name}`;
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await api(pathname).catch(error => ({
      status: 0,
      text: error.message,
    }));
    if (last.status === 200) return last.body;
    await sleep(1_000);
  }
  throw new Error(
    `${kind}:${namespace}/${name} is not in the catalog after ${
      timeout / 1000
    }s ` +
      `(GET ${pathname} last answered ${last?.status}: ${String(
        last?.text,
      ).slice(0, 200)}). ` +
      'Is the file that declares it listed in catalog.locations of app-config.yaml, and is it valid?',
  );
}

/* ------------------------------------------------------------------------------------------ */
/* The browser.                                                                                */

export async function launchBrowser() {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(
      `no Chromium at ${chromiumPath}: install Debian's "chromium" package or set CHROMIUM_PATH`,
    );
  }
  // Playwright gives each launch a fresh, temporary user data dir and removes it on close.
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    timeout: 60_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A page that records console errors and uncaught exceptions for failure messages. */
export async function newPage(browser) {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
  });
  context.setDefaultTimeout(TIMEOUTS.action);
  context.setDefaultNavigationTimeout(TIMEOUTS.navigation);
  const page = await context.newPage();
  page.problems = [];
  page.on('console', message => {
    if (message.type() === 'error')
      page.problems.push(`console: ${message.text().slice(0, 300)}`);
  });
  page.on('pageerror', error =>
    page.problems.push(`page error: ${error.message.slice(0, 300)}`),
  );
  page.on('response', response => {
    if (response.status() >= 500 && response.url().startsWith(baseUrl)) {
      page.problems.push(
        `HTTP ${response.status()} ${response
          .request()
          .method()} ${response.url()}`,
      );
    }
  });
  return page;
}

export function url(pathname) {
  return `${baseUrl}${pathname}`;
}

/**
 * Signs in with the guest provider's "Enter" button. Resolves once the sign-in page is gone.
 * A page that shows no sign-in page at all (already signed in) is fine too.
 */
export async function signInAsGuest(page) {
  await page.goto(url('/'), { waitUntil: 'domcontentloaded' });
  const enter = page.getByRole('button', { name: /^\s*enter\s*$/i });
  // The app's sidebar: rendered once signed in (the sign-in page has none). Its wrapper has no
  // size of its own, so it is checked for presence, not visibility.
  const sidebar = page.locator(
    '[data-testid="sidebar-root"], nav[aria-label="sidebar nav"]',
  );
  const deadline = Date.now() + TIMEOUTS.content;
  let sidebarSince;
  for (;;) {
    if (await enter.isVisible()) break;
    if ((await sidebar.count()) > 0) {
      sidebarSince ??= Date.now();
      // Already signed in (a session from before): the sign-in page would have shown by now.
      if (Date.now() - sidebarSince > 3_000) return;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `neither the sign-in page's "Enter" button nor the app's sidebar appeared within ${
          TIMEOUTS.content / 1000
        }s at ${page.url()}`,
      );
    }
    await sleep(250);
  }
  await enter.click();
  await enter
    .waitFor({ state: 'hidden', timeout: TIMEOUTS.content })
    .catch(() => {
      throw new Error(
        `the sign-in page stayed after clicking "Enter" for ${
          TIMEOUTS.content / 1000
        }s (does GET /api/auth/guest/refresh work?)`,
      );
    });
  await sidebar
    .first()
    .waitFor({ state: 'attached', timeout: TIMEOUTS.content })
    .catch(() => {
      throw new Error(
        `the app's sidebar did not appear within ${
          TIMEOUTS.content / 1000
        }s after signing in`,
      );
    });
}

/** Opens a path of the app and waits until the page has settled enough to inspect. */
export async function open(page, pathname) {
  await page.goto(url(pathname), { waitUntil: 'domcontentloaded' });
  // The network rarely goes fully idle (signals keep a connection open): bounded and optional.
  await page
    .waitForLoadState('networkidle', { timeout: 10_000 })
    .catch(() => {});
  // A sign-in page here means the session from signInAsGuest was lost.
  if (await page.getByRole('button', { name: /^\s*enter\s*$/i }).isVisible()) {
    throw new Error(
      `${pathname} shows the sign-in page although the guest signed in before`,
    );
  }
}

function exactName(name) {
  return new RegExp(
    `^\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`,
    'i',
  );
}

/**
 * The tabs named `name` (case-insensitive, exact) of the entity page at `entityPath`, e.g.
 * `/catalog/default/component/foo`. The catalog renders them either as MUI tabs (role=tab) or,
 * in its @backstage/ui layout, as header navigation links to the entity page's sub-routes.
 */
export function entityTab(page, entityPath, name) {
  const re = exactName(name);
  return page
    .getByRole('tab', { name: re })
    .or(
      page
        .locator(`a[href="${entityPath}"], a[href^="${entityPath}/"]`)
        .filter({ hasText: re }),
    );
}

/** The names of all tabs of the entity page at `entityPath`, for failure messages. */
export async function entityTabNames(page, entityPath) {
  return page.evaluate(
    prefix =>
      [...document.querySelectorAll('[role="tab"], a[href]')]
        .filter(
          el =>
            el.getAttribute('role') === 'tab' ||
            el.getAttribute('href') === prefix ||
            el.getAttribute('href').startsWith(`${prefix}/`),
        )
        .map(el => el.textContent.trim()),
    entityPath,
  );
}

/** Whether an entity tab is the selected one (aria-selected for tabs, aria-current for links). */
export async function isSelectedTab(locator) {
  const [selected, current] = await Promise.all([
    locator.getAttribute('aria-selected'),
    locator.getAttribute('aria-current'),
  ]);
  return selected === 'true' || (current !== null && current !== 'false');
}

function safeName(text) {
  return text
    .replace(/[^a-z0-9]+/gi, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase()
    .slice(0, 80);
}

/**
 * Runs a test body; on failure saves a screenshot to e2e/output/failure-<name>.png and adds
 * the page's URL, console errors and failing requests to the error message.
 */
export async function withFailureReport(page, name, body) {
  const problemsBefore = page?.problems?.length ?? 0;
  try {
    return await body();
  } catch (error) {
    const notes = [];
    if (page && !page.isClosed()) {
      const file = path.join(outputDir, `failure-${safeName(name)}.png`);
      try {
        fs.mkdirSync(outputDir, { recursive: true });
        await page.screenshot({ path: file, fullPage: true, timeout: 15_000 });
        notes.push(`screenshot: ${path.relative(process.cwd(), file)}`);
      } catch (screenshotError) {
        notes.push(
          `(no screenshot: ${screenshotError.message.split('\n')[0]})`,
        );
      }
      notes.push(`page: ${page.url()}`);
      const problems = page.problems.slice(problemsBefore);
      if (problems.length)
        notes.push(
          `browser problems:\n    ${problems.slice(0, 15).join('\n    ')}`,
        );
    }
    if (notes.length)
      error.message = `${error.message}\n  ${notes.join('\n  ')}`;
    throw error;
  }
}
