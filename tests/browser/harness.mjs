// Helpers for the newsroom browser tests: a throwaway Khobor server on 127.0.0.1 with its own
// data directory and accounts, Debian's Chromium through playwright-core, generated images,
// and waiting for conditions with a deadline (never a fixed sleep).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { deflateSync } from 'node:zlib';
import { setTimeout as delay } from 'node:timers/promises';

import { chromium } from 'playwright-core';

/** The khobor binary under test: $KHOBOR_BIN (scripts/test.sh sets it). */
export function khoborBin() {
  const bin = process.env.KHOBOR_BIN;
  if (!bin) {
    throw new Error(
      'KHOBOR_BIN is not set: build with `cargo build --bin khobor` and run ' +
        'KHOBOR_BIN="$PWD/target/debug/khobor" node --test tests/browser/ (or bash scripts/test.sh)',
    );
  }
  return bin;
}

/** The environment for khobor commands: ours, minus any KHOBOR_* settings that would point it
 * at another data directory, config file or address. */
function childEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('KHOBOR_')) delete env[k];
  env.KHOBOR_LOG = 'warn';
  return env;
}

/** Runs `khobor ARGS` to completion with `input` on stdin; rejects with its output on failure. */
export async function runKhobor(args, input = '') {
  // No input, no pipe: a command that never reads stdin can exit before an empty write is
  // flushed, and the EPIPE that follows was raised after the test as an uncaught error.
  const child = spawn(khoborBin(), args, {
    env: childEnv(),
    stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (out += d));
  let unread = null;
  if (input) {
    // A command that exits without reading its input fails on its own; its exit status and
    // output say why, not the broken pipe.
    child.stdin.on('error', (e) => (unread = e));
    child.stdin.end(input);
  }
  const [code, signal] = await once(child, 'exit');
  if (code !== 0) {
    const pipe = unread ? ` (its input was not read: ${unread.code})` : '';
    throw new Error(`khobor ${args.join(' ')} exited with ${code ?? signal}${pipe}:\n${out}`);
  }
  return out;
}

/**
 * A fresh server: makes a temp data directory, adds `users` with the CLI, starts
 * `khobor serve --addr 127.0.0.1:0` and waits for the line that gives its URL.
 * Returns { url, dataDir, log(), stop() }.
 */
export async function startServer(users, { startTimeoutMs = 30_000 } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'khobor-browser-'));
  try {
    for (const u of users) {
      await runKhobor(
        ['user', 'add', '--email', u.email, '--name', u.name, '--role', u.role,
          '--initials', u.initials, '--password-stdin', '--data', dataDir],
        `${u.password}\n`,
      );
    }
  } catch (e) {
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }

  const child = spawn(khoborBin(), ['serve', '--addr', '127.0.0.1:0', '--data', dataDir], {
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => (output += d));
  const exited = once(child, 'exit');

  const url = await new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(
      () => reject(new Error(`khobor serve did not report its address within ${startTimeoutMs} ms:\n${output}`)),
      startTimeoutMs,
    );
    child.stdout.on('data', (d) => {
      stdout += d;
      output += d;
      const m = stdout.match(/খবর চলছে: (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exited.then(([code, signal]) => {
      clearTimeout(timer);
      reject(new Error(`khobor serve exited (${code ?? signal}) before listening:\n${output}`));
    });
  }).catch(async (e) => {
    child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  });

  return {
    url,
    dataDir,
    log: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium (or $CHROMIUM), headless; playwright-core never downloads a browser. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'],
    headless: true,
  });
}

/** A new browser context (its own cookies: one per person) whose pages resolve paths against
 * the server's URL and wait at most `timeout` ms for anything. */
export async function newPerson(browser, baseURL, timeout = 15_000, options = {}) {
  const context = await browser.newContext({ baseURL, locale: 'bn-BD', timezoneId: 'Asia/Dhaka', ...options });
  context.setDefaultTimeout(timeout);
  const page = await context.newPage();
  return { context, page };
}

/**
 * Calls `probe` until it returns a truthy value, at most every `intervalMs`, and fails after
 * `timeoutMs` with `what` and the last value or error seen. Returns the truthy value.
 */
export async function waitUntil(what, probe, { timeoutMs = 30_000, intervalMs = 200 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    }
    // Polling interval between checks of a condition, not a wait for the condition itself.
    await delay(intervalMs);
  }
}

/** `date` as the paper's wall clock (Asia/Dhaka: UTC+6, no DST) in the
 * `datetime-local` format with seconds: YYYY-MM-DDTHH:MM:SS. */
export function dhakaLocal(date) {
  return new Date(date.getTime() + 6 * 3600 * 1000).toISOString().slice(0, 19);
}

// ---- a PNG made here, so no binary fixture is needed

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid RGB PNG of `width`×`height` with a colour gradient. */
export function gradientPng(width = 800, height = 500) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter
  ihdr[12] = 0; // no interlace
  const row = 1 + width * 3;
  const raw = Buffer.alloc(row * height);
  for (let y = 0; y < height; y++) {
    raw[y * row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const i = y * row + 1 + x * 3;
      raw[i] = Math.round((255 * x) / (width - 1));
      raw[i + 1] = Math.round((255 * y) / (height - 1));
      raw[i + 2] = 160;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// A call to the admin API of the server at `baseURL` with an API token; the JSON answer, or
// a failed assertion naming the status.
export async function adminApi(baseURL, token, method, path, body) {
  const r = await fetch(new URL(path, baseURL), {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await r.json();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
  return json;
}
