// The home page's "আমার জেলা" block in a real browser: a reader picks a district and the
// block shows that district's newest stories without leaving the page; the choice lives in a
// first-party cookie, so the next visit (the same cached home page as everyone's) shows them
// again; a reader without JavaScript gets the district's page and the same cookie.
//
// Run: KHOBOR_BIN="$PWD/target/debug/khobor" node --test tests/browser/

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { adminApi, launchBrowser, newPerson, runKhobor, startServer } from './harness.mjs';

const EDITOR = {
  email: 'district@example.com',
  name: 'নাসরিন আক্তার',
  role: 'editor',
  initials: 'এনএ',
  password: 'district-picker-2026-gazipur',
};
const GAZIPUR = 'গাজীপুরে পোশাক কারখানায় আগুন';
const SYLHET = 'সুনামগঞ্জে হাওরের বাঁধ ভেঙেছে';

let server;
let browser;

before(async () => {
  server = await startServer([EDITOR]);
  browser = await launchBrowser();
  const token = (await runKhobor(['token', 'add', '--email', EDITOR.email, '--label', 'district test', '--data', server.dataDir])).trim();
  for (const [headline, places] of [[GAZIPUR, ['গাজীপুর']], [SYLHET, ['সুনামগঞ্জ']]]) {
    const made = await adminApi(server.url, token, 'POST', '/api/v1/admin/articles', {
      headline, section: 'national', body_html: '<p>স্থানীয় প্রতিনিধি জানান।</p>', places,
    });
    await adminApi(server.url, token, 'POST', `/api/v1/admin/articles/${made.article.id}/transitions`, { action: 'publish' });
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('district picker', () => {
  it('shows the chosen district\'s stories on the home page and remembers the choice in a cookie', async () => {
    const reader = await newPerson(browser, server.url);
    try {
      await reader.page.goto('/');
      assert.equal(await reader.page.locator('#my-district-news li').count(), 0);
      await reader.page.locator('#district').selectOption('dhaka/gazipur');
      await reader.page.locator('#my-district button[type="submit"]').click();
      await reader.page.locator('#my-district-news li').first().waitFor();
      assert.equal(new URL(reader.page.url()).pathname, '/', 'the reader stays on the home page');
      const shown = await reader.page.locator('#my-district-news').innerText();
      assert.match(shown, /গাজীপুর/);
      assert.match(shown, new RegExp(GAZIPUR));
      assert.doesNotMatch(shown, new RegExp(SYLHET));
      const cookies = await reader.context.cookies();
      const kept = cookies.find((c) => c.name === 'khobor_district');
      assert.equal(decodeURIComponent(kept.value), 'dhaka/gazipur');
      assert.equal(kept.sameSite, 'Lax');

      // The next visit: the same page for everyone, the block filled from the cookie.
      const home = reader.page.waitForResponse((r) => new URL(r.url()).pathname === '/');
      await reader.page.goto('/');
      assert.equal((await home).headers()['x-cache'], 'hit');
      await reader.page.locator('#my-district-news li').first().waitFor();
      assert.match(await reader.page.locator('#my-district-news').innerText(), new RegExp(GAZIPUR));
      assert.equal(await reader.page.locator('#district').inputValue(), 'dhaka/gazipur');
      await reader.page.locator('#my-district-news a', { hasText: GAZIPUR }).click();
      await reader.page.waitForURL((u) => /^\/national\/\d+$/.test(u.pathname));
    } finally {
      await reader.context.close();
    }
  });

  it('without JavaScript the form opens the district\'s page and sets the same cookie', async () => {
    const reader = await newPerson(browser, server.url, 15_000, { javaScriptEnabled: false });
    try {
      await reader.page.goto('/');
      await reader.page.locator('#district').selectOption('sylhet/sunamganj');
      await reader.page.locator('#my-district button[type="submit"]').click();
      await reader.page.waitForURL((u) => u.pathname === '/country/sylhet/sunamganj');
      assert.match(await reader.page.locator('h1').innerText(), /সুনামগঞ্জ/);
      assert.match(await reader.page.locator('main').innerText(), new RegExp(SYLHET));
      const kept = (await reader.context.cookies()).find((c) => c.name === 'khobor_district');
      assert.equal(decodeURIComponent(kept.value), 'sylhet/sunamganj');
    } finally {
      await reader.context.close();
    }
  });
});
