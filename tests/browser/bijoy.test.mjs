// Bijoy (SutonnyMJ) text pasted into the story editor in a real browser: the headline field
// and the rich-text body get Unicode Bengali, the note under the editor says so, and its
// button puts the pasted text back as it was. English and Unicode pastes are left alone.
//
// Run: KHOBOR_BIN="$PWD/target/debug/khobor" node --test tests/browser/

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { launchBrowser, newPerson, startServer } from './harness.mjs';

const WRITER = {
  email: 'mita@example.com',
  name: 'মিতা রায়',
  role: 'contributor',
  initials: 'এমআর',
  password: 'bijoy-theke-unicode-2026',
};

// "বাংলাদেশ সরকার এবং জনগণ" as SutonnyMJ text (‡ is the e-kar typed before দ).
const BIJOY = 'evsjv‡`k miKvi Ges RbMY';
const UNICODE = 'বাংলাদেশ সরকার এবং জনগণ';
const ENGLISH = 'The Daily Star reported on Monday';

let server;
let browser;

before(async () => {
  server = await startServer([WRITER]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function newStory() {
  const person = await newPerson(browser, server.url);
  const { page } = person;
  await page.goto('/newsroom/login');
  await page.locator('#email').fill(WRITER.email);
  await page.locator('#password').fill(WRITER.password);
  await page.locator('#login-form button[type="submit"]').click();
  await page.waitForURL((u) => u.pathname === '/newsroom/');
  await page.goto('/newsroom/stories/new');
  await page.locator('#body-editor').waitFor({ state: 'visible' });
  return person;
}

/** Dispatches a paste of `text` (and `html`, if given) on the element `selector`. */
async function paste(page, selector, text, html) {
  await page.locator(selector).evaluate(
    (el, [t, h]) => {
      el.focus();
      const data = new DataTransfer();
      data.setData('text/plain', t);
      if (h) data.setData('text/html', h);
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    },
    [text, html],
  );
}

describe('Bijoy on paste', () => {
  it('a headline pasted in Bijoy becomes Unicode, and the note puts it back', async () => {
    const { context, page } = await newStory();
    try {
      await page.locator('#headline').fill('');
      await paste(page, '#headline', BIJOY);
      await page.waitForFunction((u) => document.getElementById('headline').value === u, UNICODE);
      const note = page.locator('#bijoy-note');
      await note.waitFor({ state: 'visible' });
      assert.match(await note.innerText(), /ইউনিকোডে বদলানো হয়েছে/);
      await page.locator('#bijoy-undo').click();
      assert.equal(await page.locator('#headline').inputValue(), BIJOY);
      assert.equal(await note.isVisible(), false);

      // English is pasted as it is, and says nothing.
      await page.locator('#kicker').fill('');
      await paste(page, '#kicker', ENGLISH);
      await page.waitForFunction((e) => document.getElementById('kicker').value === e, ENGLISH);
      assert.equal(await note.isVisible(), false);
    } finally {
      await context.close();
    }
  });

  it('a Bijoy paragraph from a word processor becomes Unicode in the body, markup kept', async () => {
    const { context, page } = await newStory();
    try {
      const editor = page.locator('#body-editor');
      await editor.click();
      await paste(
        page,
        '#body-editor',
        BIJOY,
        `<html><body><p style="font-family:SutonnyMJ"><b>${BIJOY}</b></p></body></html>`,
      );
      await page.waitForFunction((u) => document.getElementById('body-editor').innerText.includes(u), UNICODE);
      const html = await editor.innerHTML();
      assert.equal((await editor.locator('b, strong').innerText()).trim(), UNICODE, html);
      assert.doesNotMatch(html, /SutonnyMJ/, html);
      await page.locator('#bijoy-note').waitFor({ state: 'visible' });
      await page.locator('#bijoy-undo').click();
      await page.waitForFunction((b) => document.getElementById('body-editor').innerText.includes(b), BIJOY);
      assert.ok(!(await editor.innerText()).includes(UNICODE), await editor.innerHTML());

      // Unicode Bengali is pasted at once, without asking the server.
      await editor.click();
      await page.keyboard.press('End');
      let asked = false;
      page.on('request', (r) => { if (new URL(r.url()).pathname === '/newsroom/bijoy') asked = true; });
      await paste(page, '#body-editor', UNICODE);
      assert.ok((await editor.innerText()).includes(UNICODE));
      assert.equal(asked, false);
    } finally {
      await context.close();
    }
  });
});
