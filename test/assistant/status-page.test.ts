// The live page in a real headless browser (Debian's chromium, driven by playwright-core): it logs in
// through the one-time URL, shows the snapshot, shows a transfer published on the bus, and follows its
// progress live over SSE. Waits are on what the page shows, never on time.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { EventBus, StatusServer, statusFilePath } from '../../src/assistant/index.js';
import { makeRepo } from '../helpers/repo.js';
import { fixtureSnapshot } from './status-fixture.js';

const CHROMIUM = process.env.FERRY_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** The progress bar of `transfer` once it shows `bytes` (a selector: the page's CSP forbids evaluated strings). */
const progressAt = (transfer: string, bytes: number) => `tr[data-transfer="${transfer}"] progress[value="${bytes}"]`;

test('the page loads through the one-time URL, shows a transfer published on the bus, and updates it live', async (t) => {
  const dir = await makeRepo(t, { init: 'none' });
  const bus = new EventBus();
  const server = await StatusServer.start({ bus, snapshot: () => Promise.resolve(fixtureSnapshot(dir)), statusFile: statusFilePath(join(dir, '.git')) });
  t.after(() => server.close());
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--headless'] });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const failures: string[] = [];
  page.on('pageerror', (err) => failures.push(String(err)));
  page.on('console', (m) => {
    if (m.type() === 'error') failures.push(m.text());
  });
  const requested: string[] = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));

  const response = await page.goto(server.loginUrl());
  assert.equal(response?.status(), 200);
  assert.equal(new URL(page.url()).pathname, '/', 'redirected to the page');
  await page.waitForSelector('body[data-live="yes"]');

  // The snapshot: peers with seq and what they lack (names are text, not markup), transfers, notifiers, cloud.
  const bob = page.locator('tr[data-peer="22222222-2222-4222-8222-222222222222"]');
  assert.match(await bob.innerText(), /bob desktop[\s\S]*12[\s\S]*30 s[\s\S]*2 files, 3\.1 MB[\s\S]*notes\/<b>todo<\/b>\.txt/);
  assert.match(await page.locator('tr[data-peer="33333333-3333-4333-8333-333333333333"]').innerText(), /ferry dead 33333333/);
  const q1 = page.locator('tr[data-transfer="q1"] progress');
  assert.deepEqual([await q1.getAttribute('value'), await q1.getAttribute('max')], ['4500000', '10000000']);
  assert.match(await page.locator('tr[data-notifier="cloud"]').innerText(), /connected/);
  assert.match(await page.locator('tr[data-cloud="cloud"]').innerText(), /1\.2 GB[\s\S]*140[\s\S]*3200[\s\S]*0\.02 USD/);

  // A transfer published now appears, then moves as progress events arrive.
  bus.publish({ type: 'transfer-queued', transfer: 't9', direction: 'download', key: 'SHA256E-s2000--cc.pdf', path: 'docs/report.pdf', remote: 'cloud' });
  const row = page.locator('tr[data-transfer="t9"]');
  await row.waitFor();
  assert.match(await row.innerText(), /docs\/report\.pdf[\s\S]*cloud[\s\S]*queued/);
  bus.publish({ type: 'transfer-progress', transfer: 't9', bytes: 500, size: 2000 });
  await page.locator(progressAt('t9', 500)).waitFor();
  assert.match(await row.innerText(), /25% of 2\.0 kB[\s\S]*active/);
  bus.publish({ type: 'transfer-progress', transfer: 't9', bytes: 1500, size: 2000 });
  await page.locator(progressAt('t9', 1500)).waitFor();
  assert.match(await row.innerText(), /75% of 2\.0 kB/);
  bus.publish({ type: 'notifier', remote: 'cloud', notifier: 'poll', state: 'polling', detail: 'relay unreachable' });
  await page.locator('tr[data-notifier="cloud"]', { hasText: 'polling' }).waitFor();
  bus.publish({ type: 'transfer-done', transfer: 't9', ok: true, attempt: 1 });
  await row.waitFor({ state: 'detached' });

  assert.deepEqual(failures, []);
  assert.deepEqual([...new Set(requested)].sort(), ['/', '/api/events', '/api/status', '/login'], 'the page uses only the public API');
});
