// Stored XSS, replayed in a real browser: a malicious staff member puts script into every
// field they can write (a story's text fields, tags, bylines and hero caption, an upload's
// alt text, caption and credit, their own display name, an API token's label), then every
// reader and newsroom page that shows those fields is opened in Chromium — once as served
// (with its Content-Security-Policy) and once with the CSP bypassed, so escaping alone must
// hold. A payload that runs sets `window.__xss` to the name of its field, or opens a dialog.
//
// Run: KHOBOR_BIN="$PWD/target/debug/khobor" node --test tests/browser/

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { gradientPng, launchBrowser, runKhobor, startServer } from './harness.mjs';

/** Script in every shape that has broken out of HTML, attributes, titles, textareas, JSON-LD
 * and URLs elsewhere; each sets `window.__xss` to `field` if it ever runs. `max` characters at
 * most (the field's limit), the most dangerous shapes first. */
function payload(field, max) {
  const shapes = [
    `<img src=x onerror="window.__xss='${field}'">`,
    `<script>window.__xss='${field}'</script>`,
    `"><svg onload="window.__xss='${field}'">`,
    `'></title></textarea></script><script>window.__xss='${field}'</script>`,
    `<iframe srcdoc="<script>parent.__xss='${field}'</script>"></iframe>`,
    `<a href="javascript:window.__xss='${field}'" id="x${field}">x</a>`,
  ];
  let out = '';
  for (const s of shapes) if ((out + s).length <= max) out += s;
  return out;
}

const ADMIN = {
  email: 'admin@example.com',
  name: payload('user.name', 80),
  role: 'admin',
  initials: 'এনএ',
  password: 'admin-password-123',
};

let server;
let browser;
let token;
const pages = new Set();

before(async () => {
  server = await startServer([ADMIN]);
  browser = await launchBrowser();
  token = (
    await runKhobor([
      'user', 'token', '--email', ADMIN.email, '--name', payload('token.name', 100),
      '--role', 'admin', '--data', server.dataDir,
    ])
  ).trim();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function api(method, path, body) {
  const r = await fetch(new URL(path, server.url), {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

/** Opens `path` in `page` and fails if any payload ran there. */
async function assertInert(page, path, dialogs) {
  const r = await page.goto(path);
  assert.ok(r.ok(), `${path}: ${r.status()}`);
  await page.waitForLoadState('load');
  const ran = await page.evaluate(() => window.__xss);
  assert.equal(ran, undefined, `${path}: the payload in ${ran} ran`);
  // A javascript: link, if one survived, would run when clicked.
  const scriptLinks = await page.evaluate(() =>
    [...document.querySelectorAll('a[href]')].map((a) => a.href).filter((h) => /^\s*javascript:/i.test(h)),
  );
  assert.deepEqual(scriptLinks, [], `${path}: javascript: links`);
  assert.deepEqual(dialogs, [], `${path}: dialogs opened`);
}

describe('stored XSS in every staff field, in Chromium', () => {
  it('a story, its upload and its people are written with script in every field', async () => {
    const form = new FormData();
    form.append('file', new Blob([gradientPng(640, 400)], { type: 'application/octet-stream' }), 'x.png');
    form.append('alt', payload('media.alt', 300));
    form.append('caption', payload('media.caption', 300));
    form.append('credit', payload('media.credit', 120));
    const up = await fetch(new URL('/api/v1/admin/media', server.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    const upText = await up.text();
    assert.equal(up.status, 202, upText);
    const media = JSON.parse(upText).media;

    const story = (
      await api('POST', '/api/v1/admin/articles', {
        headline: `খবর ${payload('headline', 190)}`,
        kicker: payload('kicker', 80),
        summary: payload('summary', 600),
        body_html: `<p>শুরু</p>${payload('body', 2000)}<p onclick="window.__xss='body.attr'">শেষ</p>`,
        section: 'national',
        tags: [payload('tag', 60), 'নিরাপত্তা'],
        authors: [payload('author', 120)],
        credit: payload('credit', 120),
        dateline: payload('dateline', 120),
        signature: payload('signature', 120),
        hero_media_id: media.id,
        hero_caption: payload('hero_caption', 300),
        hero_credit: payload('hero_credit', 120),
      })
    ).article;
    const published = (
      await api('POST', `/api/v1/admin/articles/${story.id}/transitions`, { action: 'publish' })
    ).article;
    const path = (url) => new URL(url).pathname + new URL(url).search;
    const full = (await api('GET', `/api/v1/articles/${story.id}`)).article;
    for (const p of [
      path(published.url), '/', '/latest', '/national', '/search?q=%E0%A6%96%E0%A6%AC%E0%A6%B0',
      ...full.tags.map((t) => path(t.url)), ...full.authors.map((a) => path(a.url)),
      '/newsroom/', `/newsroom/stories/${story.id}`, `/newsroom/stories/${story.id}/revisions`,
      '/newsroom/media', '/newsroom/users', '/newsroom/tokens', '/newsroom/audit', '/newsroom/sections',
    ]) pages.add(p);
  });

  for (const bypassCSP of [false, true]) {
    it(`no payload runs on any page${bypassCSP ? ' with the CSP bypassed' : ''}`, async () => {
      assert.ok(pages.size > 10, 'the pages were found');
      const context = await browser.newContext({ baseURL: server.url, bypassCSP });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const dialogs = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        d.dismiss();
      });
      await page.goto('/newsroom/login');
      await page.locator('#email').fill(ADMIN.email);
      await page.locator('#password').fill(ADMIN.password);
      await page.locator('#login-form button[type="submit"]').click();
      await page.waitForURL((u) => u.pathname === '/newsroom/');
      for (const p of pages) await assertInert(page, p, dialogs);
      // The payloads are on the pages, shown as the text they are: escaping is what held.
      await page.goto([...pages][0]);
      assert.match(await page.locator('h1').innerText(), /<img src=x onerror="window.__xss='headline'">/);
      await context.close();
    });
  }
});
