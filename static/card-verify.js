// Checks a photocard in the reader's own browser, trusting nothing the page says: fetches the
// card's signed record and the paper's published keys, verifies the Ed25519 signature with
// the browser's WebCrypto, and hashes the card image to compare it with the record.
(function () {
  'use strict';
  var box = document.getElementById('card-verify');
  if (!box || !window.crypto || !crypto.subtle) return;
  var button = box.querySelector('button');
  var out = document.getElementById('card-verify-result');
  box.hidden = false;

  function b64url(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var bin = atob(s);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes;
  }
  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) {
      return ('0' + b.toString(16)).slice(-2);
    }).join('');
  }
  function say(ok, text) {
    out.textContent = text;
    out.className = 'card-status ' + (ok ? 'card-status-ok' : 'card-status-warn');
    out.hidden = false;
  }
  async function check() {
    var get = function (url, kind) {
      return fetch(url, { cache: 'no-store' }).then(function (r) {
        if (!r.ok) throw new Error(url + ': ' + r.status);
        return kind === 'json' ? r.json() : r.arrayBuffer();
      });
    };
    var signed = await get(box.dataset.record, 'json');
    var keys = await get(box.dataset.keys, 'json');
    var png = await get(box.dataset.image, 'bytes');
    var jwk = (keys.keys || []).find(function (k) { return k.kid === signed.kid; });
    if (!jwk) return say(false, 'এই কার্ডের চাবিটি প্রকাশিত চাবির তালিকায় নেই: কার্ডটি যাচাই করা গেল না।');
    var key = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, { name: 'Ed25519' }, false, ['verify']);
    var record = new TextEncoder().encode(signed.record);
    var good = await crypto.subtle.verify({ name: 'Ed25519' }, key, b64url(signed.signature), record);
    if (!good) return say(false, 'স্বাক্ষর মেলেনি: রেকর্ডটি বদলানো হয়েছে বা আমাদের চাবিতে স্বাক্ষর করা নয়।');
    var sha = hex(await crypto.subtle.digest('SHA-256', png));
    if (signed.record.indexOf('\npng_sha256=' + sha + '\n') < 0) {
      return say(false, 'স্বাক্ষর মিলেছে, কিন্তু ছবিটি রেকর্ডের ছবির সঙ্গে মেলেনি।');
    }
    say(true, 'স্বাক্ষর মিলেছে: লেখা ও ছবি দুটোই পত্রিকার চাবিতে স্বাক্ষর করা রেকর্ডের সঙ্গে হুবহু মিলেছে।');
  }
  button.addEventListener('click', function () {
    button.disabled = true;
    check().catch(function (e) {
      say(false, 'যাচাই করা গেল না (' + e.message + ')। আপনার ব্রাউজার হয়তো Ed25519 চেনে না; নিচের রেকর্ড ও চাবি দিয়ে অন্যভাবে যাচাই করুন।');
    }).finally(function () { button.disabled = false; });
  });
})();
