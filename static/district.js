// Khobor: the home page's "আমার জেলা" block. The reader's district lives in a first-party
// cookie (khobor_district=division/district) that only this script reads; the page itself is
// the same cached page for everyone, and each district's newest stories are one cached
// response (/country/{division}/{district}/latest.json) shared by all its readers. Without
// JavaScript the form goes to /my-district, which remembers the choice and opens the
// district's page.
(function () {
  var box = document.getElementById("my-district");
  if (!box || !window.fetch) return;
  var form = box.querySelector("form");
  var select = form.elements.district;
  var out = document.getElementById("my-district-news");
  var shape = /^[a-z0-9-]+\/[a-z0-9-]+$/;

  function chosen() {
    var m = document.cookie.match(/(?:^|; )khobor_district=([^;]*)/);
    var path = m ? decodeURIComponent(m[1]) : "";
    return shape.test(path) ? path : "";
  }

  function remember(path) {
    var secure = location.protocol === "https:" ? "; secure" : "";
    document.cookie = "khobor_district=" + encodeURIComponent(path) +
      "; path=/; max-age=" + (path ? 31536000 : 0) + "; samesite=lax" + secure;
  }

  function show(path) {
    out.textContent = "";
    if (!path) return;
    fetch("/country/" + path + "/latest.json", { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) return;
        var heading = document.createElement("h3");
        var place = document.createElement("a");
        place.href = d.place.url;
        place.textContent = d.place.name;
        heading.appendChild(place);
        out.appendChild(heading);
        if (!d.stories.length) {
          var none = document.createElement("p");
          none.textContent = "এই জেলার কোনো খবর এখনো নেই।";
          out.appendChild(none);
          return;
        }
        var list = document.createElement("ul");
        d.stories.forEach(function (s) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = s.url;
          a.textContent = s.headline;
          var t = document.createElement("time");
          t.dateTime = s.time;
          t.textContent = s.when;
          li.appendChild(a);
          li.appendChild(document.createTextNode(" "));
          li.appendChild(t);
          list.appendChild(li);
        });
        out.appendChild(list);
      })
      .catch(function () {});
  }

  form.addEventListener("submit", function (e) {
    var path = select.value;
    if (path && !shape.test(path)) return;
    e.preventDefault();
    remember(path);
    show(path);
  });

  var path = chosen();
  if (path) {
    select.value = path;
    show(path);
  }
})();
