// Photocards in a real browser: an editor makes a card from the newsroom page (a plain form,
// no script needed), and a reader checks it on the card's page with the browser's own
// WebCrypto: the Ed25519 signature over the record and the SHA-256 of the image. A record
// changed on the way (one word) is caught.
//
// Run: KHOBOR_BIN="$PWD/target/debug/khobor" node --test tests/browser/

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { adminApi, launchBrowser, newPerson, runKhobor, startServer } from './harness.mjs';

const EDITOR = {
  email: 'desk@example.com',
  name: 'রফিক করিম',
  role: 'editor',
  initials: 'আরকে',
  password: 'photocard-jachai-2026',
};
const HEADLINE = 'প্রধানমন্ত্রীর সঙ্গে বৈঠকে শিক্ষার্থীরা: ‘আমরা দ্রুত নির্বাচন চাই’';

let server;
let browser;
let storyId;

function api(token, method, path, body) {
  return adminApi(server.url, token, method, path, body);
}

before(async () => {
  server = await startServer([EDITOR]);
  browser = await launchBrowser();
  const token = (await runKhobor(['token', 'add', '--email', EDITOR.email, '--label', 'cards test', '--data', server.dataDir])).trim();
  const made = await api(token, 'POST', '/api/v1/admin/articles', {
    headline: HEADLINE, section: 'national', body_html: '<p>বৈঠকের খবর।</p>',
  });
  storyId = made.article.id;
  await api(token, 'POST', `/api/v1/admin/articles/${storyId}/transitions`, { action: 'publish' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('photocards', () => {
  let code;

  it('an editor publishes a card from the story\'s card page', async () => {
    const { context, page } = await newPerson(browser, server.url);
    try {
      await page.goto('/newsroom/login');
      await page.locator('#email').fill(EDITOR.email);
      await page.locator('#password').fill(EDITOR.password);
      await page.locator('#login-form button[type="submit"]').click();
      await page.waitForURL((u) => u.pathname === '/newsroom/');
      await page.goto(`/newsroom/stories/${storyId}`);
      await page.locator('#story-cards-link').click();
      await page.waitForURL((u) => u.pathname === `/newsroom/stories/${storyId}/cards`);
      await page.locator('#c-layout').selectOption('4:5');
      await page.locator('#card-publish').click();
      await page.waitForURL((u) => u.searchParams.has('made'));
      code = new URL(page.url()).searchParams.get('made');
      assert.match(code, /^[A-Z2-7]{8}$/);
      assert.equal(await page.locator(`#story-cards li[data-code="${code}"]`).count(), 1);
    } finally {
      await context.close();
    }
  });

  it('a reader\'s browser verifies the card\'s signature and image', async () => {
    assert.ok(code, 'the card was made');
    const { context, page } = await newPerson(browser, server.url);
    try {
      await page.goto(`/c/${code}`);
      assert.match(await page.locator('main').innerText(), /এই ফটোকার্ডটি/);
      const button = page.locator('#card-verify button');
      await button.waitFor({ state: 'visible' }); // shown by card-verify.js
      await button.click();
      const result = page.locator('#card-verify-result');
      await result.waitFor({ state: 'visible' });
      assert.match(await result.innerText(), /স্বাক্ষর মিলেছে: লেখা ও ছবি দুটোই/);
    } finally {
      await context.close();
    }
  });

  it('a record changed by one word does not verify', async () => {
    const { context, page } = await newPerson(browser, server.url);
    try {
      await page.route(`**/c/${code}.json`, async (route) => {
        const response = await route.fetch();
        const signed = await response.json();
        signed.record = signed.record.replace('বৈঠকে', 'বৈঠকের');
        await route.fulfill({ response, json: signed });
      });
      await page.goto(`/c/${code}`);
      await page.locator('#card-verify button').click();
      const result = page.locator('#card-verify-result');
      await result.waitFor({ state: 'visible' });
      assert.match(await result.innerText(), /স্বাক্ষর মেলেনি/);
    } finally {
      await context.close();
    }
  });
});
