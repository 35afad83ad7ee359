// A live page in a real browser: a reader has a live story open; an editor adds an entry from
// the newsroom's form; the reader's page, told by the server-sent event stream, shows
// "নতুন ১ টি আপডেট" in its polite live region, and pressing it puts the entry on the page
// (newest first) without a reload. When the editor ends the live page, a reload shows
// "লাইভ শেষ" and the entries stay.
//
// Run: KHOBOR_BIN="$PWD/target/debug/khobor" node --test tests/browser/

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { adminApi, launchBrowser, newPerson, runKhobor, startServer } from './harness.mjs';

const EDITOR = {
  email: 'live@example.com',
  name: 'রফিক করিম',
  role: 'editor',
  initials: 'আরকে',
  password: 'live-pages-2026-dhaka',
};
const FIRST = 'সকাল ৮টায় ভোটগ্রহণ শুরু হয়েছে।';
const SECOND = 'দুপুর ১২টা পর্যন্ত ৪০ শতাংশ ভোট পড়েছে।';

let server;
let browser;
let storyId;
let storyPath;

before(async () => {
  server = await startServer([EDITOR]);
  browser = await launchBrowser();
  const token = (await runKhobor(['token', 'add', '--email', EDITOR.email, '--label', 'live test', '--data', server.dataDir])).trim();
  const made = await adminApi(server.url, token, 'POST', '/api/v1/admin/articles', {
    headline: 'ভোটের দিন: সারা দেশের খবর', section: 'national', body_html: '<p>সারা দেশে আজ ভোট।</p>',
  });
  storyId = made.article.id;
  await adminApi(server.url, token, 'POST', `/api/v1/admin/articles/${storyId}/transitions`, { action: 'publish' });
  storyPath = `/national/${storyId}`;
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

async function addEntry(page, text) {
  await page.locator('#live-body').fill(text);
  await page.locator('#live-entry-submit').click();
  await page.waitForURL((u) => u.pathname === `/newsroom/stories/${storyId}/live` && u.search === '?done=added');
}

describe('live pages', () => {
  it('a reader sees "নতুন ১ টি আপডেট" when an editor adds an entry, and the entry on pressing it', async () => {
    const reader = await newPerson(browser, server.url);
    const desk = await newPerson(browser, server.url);
    try {
      await logIn(desk.page);
      await desk.page.goto(`/newsroom/stories/${storyId}`);
      await desk.page.locator('#story-live-link').click();
      await desk.page.locator('#live-start').click();
      await desk.page.waitForURL((u) => u.search === '?done=started');
      await addEntry(desk.page, FIRST);

      // The reader's page (served from the cache on the second load) with its stream open.
      await reader.page.goto(storyPath);
      const streamOpen = reader.page.waitForResponse((r) => r.url().includes(`/live/${storyId}/events`));
      await reader.page.goto(storyPath);
      assert.equal((await streamOpen).status(), 200);
      assert.match(await reader.page.locator('#live-badge').innerText(), /লাইভ/);
      assert.match(await reader.page.locator('#live-entries').innerText(), /ভোটগ্রহণ শুরু/);

      await addEntry(desk.page, SECOND);
      const button = reader.page.locator('#live-notice button');
      await button.waitFor({ state: 'visible' });
      assert.equal((await button.innerText()).trim(), 'নতুন ১ টি আপডেট');
      await button.click();
      const first = reader.page.locator('#live-entries .live-entry').first();
      await first.getByText(SECOND).waitFor();
      assert.equal(await reader.page.locator('#live-entries .live-entry').count(), 2);
      assert.equal(await reader.page.locator('#live-notice button').count(), 0);

      // Ended: a reload shows the archive.
      await desk.page.locator('#live-end').click();
      await desk.page.waitForURL((u) => u.search === '?done=ended');
      await reader.page.reload();
      assert.match(await reader.page.locator('#live-badge').innerText(), /লাইভ শেষ/);
      assert.equal(await reader.page.locator('#live-entries .live-entry').count(), 2);
      assert.equal(await reader.page.locator('script[src="/static/live.js"]').count(), 0);
    } finally {
      await reader.context.close();
      await desk.context.close();
    }
  });
});
