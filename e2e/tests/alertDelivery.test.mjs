/*
 * An alert that reaches someone, in a real browser: malformed requests through churn-predictor's
 * router raise its error rate, the monitoring task fires high_error_rate (its rule holds for 1 s
 * in the e2e config), the outbox sends it to a webhook receiver this test runs on loopback (the
 * `e2e-hook` channel, Alertmanager's webhook JSON), and on the Alerts tab the alert is
 * acknowledged with a comment, its delivery log shows the sent messages, and the receiver gets the
 * acknowledgement. The alert is in an incident: its timeline is opened on the tab and its
 * post-incident report downloaded as Markdown.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
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

const MODEL = 'churn-predictor';
const ALERTS = `/catalog/default/component/${MODEL}/alerts`;
const RECEIVER_PORT = 47911;

/** The webhook receiver of the `e2e-hook` channel: records every body it is sent. */
function startReceiver() {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      try {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        received.push({ unparsable: true });
      }
      res.writeHead(200).end('ok');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(RECEIVER_PORT, '127.0.0.1', () =>
      resolve({ received, close: () => server.close() }),
    );
  });
}

/** Sends `count` requests, a third of them malformed (the model server answers 400). */
async function badTraffic(endpoint, count) {
  for (let i = 0; i < count; i++) {
    const response = await fetch(new URL('/v1/predict', endpoint), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: i % 3 === 0 ? '{"nope": 1}' : JSON.stringify({ input: 'fine' }),
      signal: AbortSignal.timeout(TIMEOUTS.action),
    }).catch(() => undefined);
    await response?.arrayBuffer();
  }
}

describe('Alert delivery', () => {
  let browser;
  let page;
  let receiver;

  before(async () => {
    fs.mkdirSync(outputDir, { recursive: true });
    receiver = await startReceiver();
    browser = await launchBrowser();
    page = await newPage(browser);
    await waitForEntity('component', 'default', MODEL);
    await signInAsGuest(page);
  });

  after(async () => {
    receiver?.close();
    await browser?.close().catch(() => {});
  });

  test('fires, reaches the webhook, is acknowledged on the tab and shows its deliveries', async () => {
    const model = await waitForProduction(MODEL);
    assert.ok(model?.productionEndpoint, `${MODEL} is not in production`);

    // Bad traffic until the alert fires (bounded), and on while the test looks at it.
    let firing;
    for (let i = 0; i < 60 && !firing; i++) {
      await badTraffic(model.productionEndpoint, 60);
      const { body } = await api(
        `/api/model-ops/entities/component/default/${MODEL}/alerts?state=firing`,
      );
      firing = body?.items?.find(a => a.alertType === 'high_error_rate');
      if (!firing) await sleep(1000);
    }
    assert.ok(firing, 'high_error_rate never fired');
    let stop = false;
    const keepBad = (async () => {
      while (!stop) {
        await badTraffic(model.productionEndpoint, 30);
        await sleep(200);
      }
    })();

    try {
      await withFailureReport(page, 'alert-delivery', async () => {
        // The firing message reached the receiver, in Alertmanager's format.
        for (let i = 0; i < 30; i++) {
          if (receiver.received.some(b => b.status === 'firing')) break;
          await sleep(500);
        }
        const fired = receiver.received.find(b => b.status === 'firing');
        assert.ok(fired, 'the webhook receiver got no firing message');
        assert.equal(fired.version, '4');
        assert.equal(fired.receiver, 'e2e-hook');
        assert.equal(fired.alerts[0].labels.alertname, 'high_error_rate');
        assert.equal(fired.alerts[0].labels.model_id, MODEL);

        await open(page, ALERTS);
        const ack = page.getByRole('button', {
          name: 'Acknowledge high_error_rate',
        });
        await ack.first().waitFor({ timeout: TIMEOUTS.content });
        await ack.first().click();
        const dialog = page.getByRole('dialog');
        await dialog
          .getByLabel('Comment (optional)')
          .fill('e2e: looking into it');
        await dialog.getByRole('button', { name: 'Acknowledge' }).click();
        await page
          .getByText(
            'acknowledged by user:development/guest: e2e: looking into it',
          )
          .or(page.getByText(/acknowledged by .*: e2e: looking into it/))
          .first()
          .waitFor({ timeout: TIMEOUTS.content });

        // The acknowledgement reaches the receiver too.
        for (let i = 0; i < 30; i++) {
          if (
            receiver.received.some(b =>
              b.alerts?.some(a => a.labels?.kind === 'acknowledged'),
            )
          )
            break;
          await sleep(500);
        }
        assert.ok(
          receiver.received.some(b =>
            b.alerts?.some(a => a.labels?.kind === 'acknowledged'),
          ),
          `no acknowledgement among ${receiver.received.length} messages`,
        );

        // The delivery log of the alert, on the tab.
        await open(page, ALERTS);
        await page
          .getByTitle('Deliveries')
          .first()
          .waitFor({ timeout: TIMEOUTS.content });
        await page.getByTitle('Deliveries').first().click();
        const panel = page.getByLabel('Deliveries');
        await panel.getByText('e2e-hook').first().waitFor({
          timeout: TIMEOUTS.content,
        });
        const text = await panel.innerText();
        assert.match(text, /firing/);
        assert.match(text, /acknowledged/);
        assert.match(text, /Sent/);
        await page.screenshot({
          path: path.join(outputDir, 'alert-delivery.png'),
          fullPage: true,
        });

        // The alert's incident: its timeline on the tab, and its report as a download.
        const alert = (
          await api(
            `/api/model-ops/entities/component/default/${MODEL}/alerts?state=firing`,
          )
        ).body.items.find(a => a.id === firing.id);
        assert.ok(alert?.incidentId, 'the firing alert is in no incident');
        await page
          .getByRole('button', { name: /^Open incident / })
          .first()
          .click();
        const timeline = page.getByLabel('Incident timeline');
        await timeline
          .getByText(/acknowledged: e2e: looking into it/)
          .first()
          .waitFor({ timeout: TIMEOUTS.content });
        const timelineText = await timeline.innerText();
        assert.match(timelineText, /high_error_rate.* firing/);
        assert.match(timelineText, /notification sent to e2e-hook/);
        await timeline.scrollIntoViewIfNeeded();
        await page.screenshot({
          path: path.join(outputDir, 'alert-incident.png'),
          fullPage: true,
        });
        // The Incidents card with the open timeline, for the README.
        await timeline
          .locator('xpath=ancestor::*[contains(@class, "MuiCard-root")][1]')
          .screenshot({ path: path.join(outputDir, 'model-incident.png') });
        const [download] = await Promise.all([
          page.waitForEvent('download', { timeout: TIMEOUTS.content }),
          timeline.getByRole('button', { name: 'Download report' }).click(),
        ]);
        assert.equal(
          download.suggestedFilename(),
          `incident-${alert.incidentId}.md`,
        );
        const saved = path.join(outputDir, download.suggestedFilename());
        await download.saveAs(saved);
        const report = fs.readFileSync(saved, 'utf8');
        assert.match(report, /^# Incident: churn-predictor: /);
        assert.match(report, /\| Acknowledged \| .* by /);
        assert.match(report, /## Timeline/);
        assert.match(report, /e2e: looking into it/);
        // eslint-disable-next-line no-console
        console.log(
          `[e2e] ${receiver.received.length} webhook messages; kinds ${[
            ...new Set(
              receiver.received.flatMap(
                b => b.alerts?.map(a => a.labels?.kind) ?? [],
              ),
            ),
          ].join(', ')}`,
        );
      });
    } finally {
      stop = true;
      await keepBad;
    }
  });
});
