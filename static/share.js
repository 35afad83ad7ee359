// Khobor: "copy link" on the article page. Without JavaScript the link simply opens the
// story's canonical address, which the reader can copy from the address bar.
document.addEventListener("click", function (event) {
  var link = event.target.closest("[data-copy-link]");
  if (!link || !navigator.clipboard) return;
  event.preventDefault();
  navigator.clipboard.writeText(link.href).then(function () {
    var old = link.textContent;
    link.textContent = "লিংক কপি হয়েছে";
    setTimeout(function () { link.textContent = old; }, 2000);
  });
});
