// Khobor: a live page's "নতুন N টি আপডেট" notice. Loaded only on a story page that is live.
// It listens to /live/{id}/events (server-sent events, sent by the server when the entries
// change) and, when there is something new, offers a button in the page's polite live
// region; pressing it fetches the page again and puts its entries in place (or reloads).
// Without JavaScript a plain reload shows the new entries.
(function () {
  var box = document.getElementById("live");
  var notice = document.getElementById("live-notice");
  if (!box || !notice || !window.EventSource || !box.dataset.liveEvents) return;
  var added = parseInt(box.dataset.liveAdded, 10) || 0;
  var revision = parseInt(box.dataset.liveRevision, 10) || 0;
  var digits = "০১২৩৪৫৬৭৮৯";
  function bn(n) {
    return String(n).replace(/[0-9]/g, function (d) { return digits[+d]; });
  }

  function offer(latest) {
    var fresh = latest.added - added;
    var button = notice.querySelector("button");
    if (!button) {
      button = document.createElement("button");
      button.type = "button";
      button.className = "live-new";
      button.addEventListener("click", refresh);
      notice.appendChild(button);
    }
    button.textContent = fresh > 0
      ? "নতুন " + bn(fresh) + " টি আপডেট"
      : (latest.ended ? "লাইভ শেষ হয়েছে, পাতাটি দেখুন" : "আপডেট বদলেছে, দেখুন");
  }

  function refresh() {
    // "no-cache": the server is asked (a 304 only when nothing changed), never an old copy.
    fetch(location.pathname, { cache: "no-cache", headers: { Accept: "text/html" } })
      .then(function (r) { if (!r.ok) throw r.status; return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("live");
        if (!fresh || !fresh.dataset.liveEvents) { location.reload(); return; }
        var list = fresh.querySelector("#live-entries");
        var old = box.querySelector("#live-entries, #live-empty");
        if (list && old) old.replaceWith(document.importNode(list, true));
        added = parseInt(fresh.dataset.liveAdded, 10) || added;
        revision = parseInt(fresh.dataset.liveRevision, 10) || revision;
        box.dataset.liveAdded = added;
        box.dataset.liveRevision = revision;
        notice.textContent = "";
        var first = box.querySelector(".live-entry");
        if (first) {
          first.setAttribute("tabindex", "-1");
          first.focus();
        }
      })
      .catch(function () { location.reload(); });
  }

  var source = new EventSource(box.dataset.liveEvents + "?since=" + revision);
  function heard(e) {
    var data;
    try { data = JSON.parse(e.data); } catch (err) { return; }
    if (data.revision > revision) offer(data);
    if (data.ended) source.close();
  }
  source.addEventListener("update", heard);
  source.addEventListener("end", heard);
})();
