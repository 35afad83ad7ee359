// Khobor newsroom: the rich-text body editor (no build step), paste cleaning, and presence.
// Without JavaScript the body is edited as HTML in a plain textarea; the server sanitises
// whatever arrives either way.
(function () {
  "use strict";

  var ALLOWED = {
    P: [], H2: [], H3: [], STRONG: [], B: [], EM: [], I: [], A: ["href"], BLOCKQUOTE: [],
    UL: [], OL: [], LI: [], BR: [], FIGURE: ["class", "data-embed"], FIGCAPTION: [],
    IMG: ["src", "alt"]
  };
  var DROP = { SCRIPT: 1, STYLE: 1, META: 1, LINK: 1, TITLE: 1, HEAD: 1, XML: 1, TEMPLATE: 1,
    IFRAME: 1, OBJECT: 1, EMBED: 1, SVG: 1, NOSCRIPT: 1 };
  var BLOCKISH = { DIV: 1, SECTION: 1, ARTICLE: 1, H1: 1, H4: 1, H5: 1, H6: 1, TD: 1, TH: 1 };

  function safeUrl(url) {
    return /^(https?:|mailto:|\/)/i.test((url || "").trim());
  }

  // Cleans pasted or loaded HTML into the editor's allow-list: Word and Google Docs wrappers
  // are unwrapped, styles and classes dropped, divs become paragraphs.
  function clean(node, doc) {
    var out = doc.createDocumentFragment();
    node.childNodes.forEach(function (child) {
      if (child.nodeType === 3) {
        out.appendChild(doc.createTextNode(child.nodeValue));
        return;
      }
      if (child.nodeType !== 1) return;
      var tag = child.tagName.toUpperCase();
      if (DROP[tag] || tag.indexOf(":") >= 0) return;
      var inner = clean(child, doc);
      if (tag === "B" && /font-weight:\s*(normal|400)/i.test(child.getAttribute("style") || "")) {
        out.appendChild(inner);
        return;
      }
      if (BLOCKISH[tag]) tag = tag === "H1" ? "H2" : tag === "H4" || tag === "H5" || tag === "H6" ? "H3" : "P";
      var allowed = ALLOWED[tag];
      if (!allowed) { out.appendChild(inner); return; }
      var el = doc.createElement(tag);
      allowed.forEach(function (name) {
        var v = child.getAttribute(name);
        if (v === null) return;
        if ((name === "href" || name === "src") && !safeUrl(v)) return;
        el.setAttribute(name, v);
      });
      el.appendChild(inner);
      out.appendChild(el);
    });
    return out;
  }

  function cleanHtml(html) {
    var parsed = new DOMParser().parseFromString(html, "text/html");
    var holder = document.createElement("div");
    holder.appendChild(clean(parsed.body, document));
    return holder.innerHTML;
  }

  function escapeText(s) {
    var d = document.createElement("div");
    d.textContent = s;
    return d.innerHTML;
  }

  function embedFor(url) {
    var kinds = [
      [/^https:\/\/(www\.)?(youtube\.com|youtu\.be)\//i, "youtube", "ইউটিউব ভিডিও"],
      [/^https:\/\/(www\.|m\.)?facebook\.com\//i, "facebook", "ফেসবুক পোস্ট"],
      [/^https:\/\/(www\.)?(x|twitter)\.com\//i, "x", "এক্স পোস্ট"]
    ];
    for (var i = 0; i < kinds.length; i++) {
      if (kinds[i][0].test(url)) {
        return '<figure class="embed" data-embed="' + kinds[i][1] + '"><a href="' + escapeText(url) +
          '">' + kinds[i][2] + ": " + escapeText(url) + "</a></figure><p><br></p>";
      }
    }
    return null;
  }

  function setupEditor() {
    var source = document.getElementById("body");
    var editor = document.getElementById("body-editor");
    var form = document.getElementById("story-form");
    if (!source || !editor || !form) return;
    var toolbar = form.querySelector(".toolbar");
    var disabled = form.querySelector("fieldset[disabled]");
    editor.innerHTML = cleanHtml(source.value) || "<p><br></p>";
    source.hidden = true;
    editor.hidden = false;
    if (toolbar) toolbar.hidden = !!disabled;
    if (disabled) editor.contentEditable = "false";
    document.execCommand("defaultParagraphSeparator", false, "p");

    function run(cmd, value) {
      editor.focus();
      document.execCommand(cmd, false, value);
    }

    if (toolbar) toolbar.addEventListener("click", function (e) {
      var b = e.target.closest("button");
      if (!b) return;
      if (b.dataset.cmd) run(b.dataset.cmd);
      else if (b.dataset.block) run("formatBlock", b.dataset.block);
      else if (b.dataset.action === "link") {
        var url = window.prompt("লিংকের ঠিকানা (https://…)", "https://");
        if (url && safeUrl(url)) run("createLink", url.trim());
      } else if (b.dataset.action === "unlink") run("unlink");
      else if (b.dataset.action === "embed") {
        var link = window.prompt("ইউটিউব, ফেসবুক বা এক্স পোস্টের ঠিকানা", "https://");
        var html = link && embedFor(link.trim());
        if (html) run("insertHTML", html);
        else if (link) window.alert("শুধু ইউটিউব, ফেসবুক বা এক্সের https ঠিকানা এমবেড করা যায়।");
      }
    });
    var picker = toolbar && toolbar.querySelector('select[data-action="image"]');
    if (picker) picker.addEventListener("change", function () {
      var opt = picker.selectedOptions[0];
      if (!opt || !opt.value) return;
      var caption = opt.dataset.caption ? "<figcaption>" + escapeText(opt.dataset.caption) + "</figcaption>" : "";
      run("insertHTML", '<figure class="image"><img src="' + escapeText(opt.value) + '" alt="' +
        escapeText(opt.dataset.alt || "") + '">' + caption + "</figure><p><br></p>");
      picker.value = "";
    });

    editor.addEventListener("paste", function (e) {
      var data = e.clipboardData;
      if (!data) return;
      e.preventDefault();
      var html = data.getData("text/html");
      var text = data.getData("text/plain") || "";
      var out;
      if (html) {
        out = cleanHtml(html);
      } else {
        var paras = text.split(/\r?\n\s*\r?\n/).map(function (p) {
          return "<p>" + escapeText(p).replace(/\r?\n/g, "<br>") + "</p>";
        });
        out = paras.length > 1 ? paras.join("") : escapeText(text);
      }
      if (!mayBeBijoy(text)) {
        run("insertHTML", out);
        return;
      }
      // Asked of the server first: the selection is kept to paste where the cursor was.
      var sel = window.getSelection();
      var range = sel.rangeCount ? sel.getRangeAt(0).cloneRange() : null;
      fromBijoy(out, true, function (unicode) {
        editor.focus();
        if (range) { sel.removeAllRanges(); sel.addRange(range); }
        run("insertHTML", unicode || out);
        if (unicode) showBijoyNote(function () {
          run("undo");
          run("insertHTML", out);
        }, editor);
      });
    });

    form.addEventListener("submit", function () {
      source.value = editor.innerHTML;
    });
  }

  // Bijoy (SutonnyMJ) text pasted from old files or a correspondent's e-mail is Latin
  // letters standing for Bengali glyphs. The server tells it apart from English and converts
  // it; the note under the editor says so and offers to keep the text as it was.
  function mayBeBijoy(text) {
    return !/[\u0980-\u09FF]/.test(text) && /[A-Za-z\u00A1-\u00FF\u0152-\u02DC\u2013-\u203A]{2}/.test(text);
  }

  function fromBijoy(text, html, done) {
    var csrf = document.body.dataset.csrf;
    if (!csrf || !window.fetch) { done(null); return; }
    fetch("/newsroom/bijoy", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/json" },
      body: JSON.stringify({ text: text, html: html })
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) { done(j && j.bijoy ? j.text : null); })
      .catch(function () { done(null); });
  }

  // Shows the note until the next change to `field`; its button calls `undo` once.
  function showBijoyNote(undo, field) {
    var note = document.getElementById("bijoy-note");
    var button = document.getElementById("bijoy-undo");
    if (!note || !button) return;
    function hide() {
      note.hidden = true;
      button.onclick = null;
      field.removeEventListener("input", hide);
    }
    note.hidden = false;
    button.onclick = function () { hide(); undo(); };
    field.addEventListener("input", hide);
  }

  function setupBijoyFields() {
    var form = document.getElementById("story-form");
    if (!form) return;
    form.querySelectorAll("input:not([type]), input[type=text], textarea:not(#body)").forEach(function (field) {
      field.addEventListener("paste", function (e) {
        var text = e.clipboardData && e.clipboardData.getData("text/plain");
        if (!text || !mayBeBijoy(text) || field.readOnly || field.disabled) return;
        e.preventDefault();
        var before = field.value;
        var start = field.selectionStart, end = field.selectionEnd;
        function put(s) {
          field.value = before.slice(0, start) + s + before.slice(end);
          field.setSelectionRange(start + s.length, start + s.length);
        }
        fromBijoy(text, false, function (unicode) {
          put(unicode || text);
          if (unicode) showBijoyNote(function () { put(text); field.focus(); }, field);
        });
      });
    });
  }

  function setupPresence() {
    var box = document.getElementById("presence");
    var csrf = document.body.dataset.csrf;
    if (!box || !csrf || !window.fetch) return;
    var id = box.dataset.story;
    function ping() {
      fetch("/newsroom/stories/" + id + "/presence", {
        method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf }
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (j) {
        if (!j) return;
        box.textContent = j.others.length ? "এখন খোলা রেখেছেন: " + j.others.join(", ") : "";
      }).catch(function () {});
    }
    window.setInterval(ping, 20000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupEditor();
    setupBijoyFields();
    setupPresence();
  });
})();
