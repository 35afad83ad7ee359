// The breaking-news ticker in a real browser: an editor puts up an alert from the newsroom
// (a plain form); a reader's story page, served from the cache, shows it in its red strip from
// /breaking.json; when the alert is taken down the next load shows none, and one that runs out
// while the page is open disappears at its expiry without a reload.
//
// Run: KHOBOR_BIN="$PWD/target/debug/khobor" node --test tests/browser/

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { adminApi, launchBrowser, newPerson, runKhobor, startServer } from './harness.mjs';

const EDITOR = {
  email: 'breaking@example.com',
  name: 'রফিক করিম',
  role: 'editor',
  initials: 'আরকে',
  password: 'breaking-news-2026',
};
const ALERT = 'সংসদ ভেঙে দেওয়া হয়েছে, নতুন নির্বাচন ৯০ দিনের মধ্যে';

let server;
let browser;
let storyPath;

function api(token, method, path, body) {
  return adminApi(server.url, token, method, path, body);
}

before(async () => {
  server = await startServer([EDITOR]);
  browser = await launchBrowser();
  const token = (await runKhobor(['token', 'add', '--email', EDITOR.email, '--label', 'breaking test', '--data', server.dataDir])).trim();
  const made = await api(token, 'POST', '/api/v1/admin/articles', {
    headline: 'রাষ্ট্রপতির ভাষণ', section: 'national', body_html: '<p>ভাষণের খবর।</p>',
  });
  await api(token, 'POST', `/api/v1/admin/articles/${made.article.id}/transitions`, { action: 'publish' });
  storyPath = `/national/${made.article.id}`;
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function logIn(page) {
  await page.goto('/newsroom/login');
  await page.locator('#email').fill(EDITOR.email);
  await page.locator('#password').fill(EDITOR.password);
  await page.locator('#login-form button[type="submit"]').click();
  await page.waitForURL((u) => u.pathname === '/newsroom/');
}

describe('breaking news', () => {
  it('an alert put up in the newsroom shows on a cached story page, and goes when taken down', async () => {
    const reader = await newPerson(browser, server.url);
    const desk = await newPerson(browser, server.url);
    try {
      // The story page is cached before the alert, with its strip hidden.
      await reader.page.goto(storyPath);
      await reader.page.goto(storyPath);
      assert.equal(await reader.page.locator('#breaking').isVisible(), false);

      await logIn(desk.page);
      await desk.page.goto('/newsroom/breaking');
      await desk.page.locator('#breaking-text').fill(ALERT);
      await desk.page.locator('#breaking-minutes').selectOption('60');
      await desk.page.locator('#breaking-add').click();
      await desk.page.waitForURL((u) => u.pathname === '/newsroom/breaking');
      assert.match(await desk.page.locator('#breaking-live').innerText(), /সংসদ ভেঙে/);

      await reader.page.goto(storyPath);
      const strip = reader.page.locator('#breaking');
      await strip.waitFor({ state: 'visible' });
      assert.match(await strip.innerText(), /ব্রেকিং/);
      assert.match(await strip.innerText(), /সংসদ ভেঙে দেওয়া হয়েছে/);

      await desk.page.locator('#breaking-live button[type="submit"]').first().click();
      await desk.page.waitForURL((u) => u.pathname === '/newsroom/breaking');
      await desk.page.locator('#no-breaking').waitFor();
      await reader.page.goto(storyPath);
      await reader.page.waitForLoadState('networkidle');
      assert.equal(await reader.page.locator('#breaking').isVisible(), false);
    } finally {
      await reader.context.close();
      await desk.context.close();
    }
  });

  it('an alert that runs out while the page is open disappears at its expiry', async () => {
    const { context, page } = await newPerson(browser, server.url);
    try {
      const soon = Math.floor(Date.now() / 1000) + 2;
      await page.route('**/breaking.json', (route) =>
        route.fulfill({ json: { items: [{ id: 1, text: ALERT, url: null, expires_at: soon }], poll_seconds: 30 } }));
      await page.goto(storyPath);
      const strip = page.locator('#breaking');
      await strip.waitFor({ state: 'visible' });
      await strip.waitFor({ state: 'hidden', timeout: 10_000 });
    } finally {
      await context.close();
    }
  });
});
