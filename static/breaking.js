// Khobor: the breaking-news ticker on every page. It asks /breaking.json once; only while an
// alert is live does it ask again (every poll_seconds), and it hides each alert when it runs
// out. Without JavaScript the home page still shows the alerts, drawn by the server.
(function () {
  var box = document.getElementById("breaking");
  if (!box || !window.fetch) return;
  var inner = box.querySelector(".wrap");
  var poll = null;
  var expiry = null;

  function draw(items) {
    var now = Date.now() / 1000;
    items = items.filter(function (i) { return i.expires_at > now; });
    clearTimeout(expiry);
    inner.textContent = "";
    if (!items.length) {
      box.hidden = true;
      return false;
    }
    var label = document.createElement("strong");
    label.textContent = "ব্রেকিং";
    var list = document.createElement("ul");
    items.forEach(function (i) {
      var li = document.createElement("li");
      li.setAttribute("data-expires", i.expires_at);
      var text = document.createElement(i.url ? "a" : "span");
      if (i.url) text.href = i.url;
      text.textContent = i.text;
      li.appendChild(text);
      list.appendChild(li);
    });
    inner.appendChild(label);
    inner.appendChild(list);
    box.hidden = false;
    var next = Math.min.apply(null, items.map(function (i) { return i.expires_at; }));
    expiry = setTimeout(function () { draw(items); }, Math.max(0, next * 1000 - Date.now()) + 100);
    return true;
  }

  function ask() {
    // "no-cache": always ask the server (a 304 when nothing changed), never a stale copy.
    fetch("/breaking.json", { cache: "no-cache", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        clearTimeout(poll);
        if (draw(data.items || [])) {
          poll = setTimeout(ask, (data.poll_seconds || 30) * 1000);
        }
      })
      .catch(function () {});
  }

  ask();
})();
