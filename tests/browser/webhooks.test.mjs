// Webhooks in a real browser: an admin registers a URL on the newsroom's page (a plain form,
// the events as checkboxes) and is shown the secret once; a story published through the admin
// API reaches a receiver on loopback, signed with that secret; the delivery log shows it
// delivered; and a description with script in it stays text.
//
// Run: KHOBOR_BIN="$PWD/target/debug/khobor" node --test tests/browser/

import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';

import { adminApi, launchBrowser, newPerson, runKhobor, startServer, waitUntil } from './harness.mjs';

const ADMIN = {
  email: 'hooks@example.com',
  name: 'ওয়েবহুক প্রশাসক',
  role: 'admin',
  initials: 'ওপ',
  password: 'webhooks-admin-2026',
};

let server;
let browser;
let receiver;
const received = [];

before(async () => {
  server = await startServer([ADMIN]);
  browser = await launchBrowser();
  receiver = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('পেয়েছি');
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  receiver?.close();
});

/** Whether `header` signs `body` with `secret` (docs/WEBHOOKS.md). */
function verify(secret, header, body) {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2)));
  const want = createHmac('sha256', secret).update(`${parts.t}.`).update(body).digest();
  const got = Buffer.from(parts.v1 ?? '', 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

describe('webhooks', () => {
  it('an admin registers a webhook, sees its secret once, and a publish reaches the receiver signed', async () => {
    const { context, page } = await newPerson(browser, server.url);
    const dialogs = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      d.dismiss();
    });
    try {
      await page.goto('/newsroom/login');
      await page.locator('#email').fill(ADMIN.email);
      await page.locator('#password').fill(ADMIN.password);
      await page.locator('#login-form button[type="submit"]').click();
      await page.waitForURL((u) => u.pathname === '/newsroom/');
      await page.getByRole('link', { name: 'ওয়েবহুক', exact: true }).click();
      await page.waitForURL((u) => u.pathname === '/newsroom/webhooks');

      // A URL with a password in it is refused with the reason, and nothing is saved.
      await page.locator('#webhook-url').fill('https://name:secret@example.com/hooks');
      await page.locator('#webhook-add').click();
      assert.match(await page.locator('#webhook-error').innerText(), /পাসওয়ার্ড/);
      assert.equal(await page.locator('#webhooks').count(), 0);

      const url = `http://127.0.0.1:${receiver.address().port}/hooks/khobor`;
      await page.locator('#webhook-url').fill(url);
      await page.locator('#webhook-description').fill(`<img src=x onerror="window.__xss='description'">`);
      // Published is ticked by default; breaking too, updates off.
      await page.locator('#ev-updated').uncheck();
      await page.locator('#ev-unpublished').uncheck();
      await page.locator('#ev-breaking').check();
      await page.locator('#webhook-add').click();
      const secret = (await page.locator('#new-secret').innerText()).trim();
      assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
      const row = page.locator('#webhooks tbody tr');
      assert.equal(await row.count(), 1);
      assert.match(await row.innerText(), /<img src=x onerror=/);
      assert.match(await row.innerText(), /ব্রেকিং/);

      // Shown once: the page again has only its start.
      await page.goto('/newsroom/webhooks');
      const html = await page.content();
      assert.ok(!html.includes(secret), 'the whole secret is not shown again');
      assert.ok(html.includes(secret.slice(0, 10)));

      const token = (await runKhobor(['token', 'add', '--email', ADMIN.email, '--label', 'webhooks test', '--role', 'editor', '--data', server.dataDir])).trim();
      const made = await adminApi(server.url, token, 'POST', '/api/v1/admin/articles', {
        headline: 'ওয়েবহুকে খবর গেল', section: 'national', body_html: '<p>খবরটি।</p>',
      });
      await adminApi(server.url, token, 'POST', `/api/v1/admin/articles/${made.article.id}/transitions`, { action: 'publish' });
      const got = await waitUntil('the receiver has the delivery', () => received[0]);
      assert.equal(got.headers['khobor-event'], 'published');
      assert.equal(got.headers['content-type'], 'application/json');
      assert.ok(verify(secret, got.headers['khobor-signature'], got.body), 'the signature verifies');
      assert.ok(!verify(secret.slice(0, -1) + 'x', got.headers['khobor-signature'], got.body));
      const event = JSON.parse(got.body.toString('utf8'));
      assert.equal(event.story.id, made.article.id);
      assert.equal(event.story.headline, 'ওয়েবহুকে খবর গেল');
      assert.equal(String(event.id), got.headers['khobor-delivery']);

      // The log shows it delivered, with the receiver's answer.
      await page.getByRole('link', { name: 'পাঠানোর খাতা' }).click();
      await waitUntil('the log shows the delivery as delivered', async () => {
        await page.reload();
        return (await page.locator('#deliveries tr[data-state="delivered"]').count()) === 1;
      });
      assert.match(await page.locator('#deliveries').innerText(), /HTTP 200.*পেয়েছি/s);

      assert.equal(await page.evaluate(() => window.__xss), undefined);
      assert.deepEqual(dialogs, []);
    } finally {
      await context.close();
    }
  });
});
