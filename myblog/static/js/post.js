// The post page: a "Copy" button on every code block (Clipboard API), saying "Copied" where it
// was pressed (the labels come from the article's data attributes, in the page's language);
// in the side column's table of contents, the section being read is marked.
(function () {
  "use strict";
  var article = document.querySelector("article.post");
  if (!article) return;
  var labels = article.dataset;

  function say(button, text) {
    button.textContent = text;
    clearTimeout(button.resetTimer);
    button.resetTimer = setTimeout(function () { button.textContent = labels.copyLabel; }, 2000);
  }

  function copy(button, block) {
    var code = block.querySelector("pre");
    var text = (code || block).innerText.replace(/\n$/, "");
    if (!navigator.clipboard) { say(button, labels.copyFailedLabel); return; }
    navigator.clipboard.writeText(text).then(
      function () { say(button, labels.copiedLabel); },
      function () { say(button, labels.copyFailedLabel); }
    );
  }

  article.querySelectorAll(".post-body .highlight").forEach(function (block) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-outline-secondary code-copy";
    button.textContent = labels.copyLabel;
    // the label changes to "Copied": a polite live region reads it out
    button.setAttribute("aria-live", "polite");
    button.addEventListener("click", function () { copy(button, block); });
    block.classList.add("has-copy");
    block.insertBefore(button, block.firstChild);
  });

  // the section being read: the last heading above the top quarter of the window
  var toc = article.querySelector(".post-toc nav.toc");
  if (!toc) return;
  var links = Array.prototype.slice.call(toc.querySelectorAll("a[href^='#']"));
  var headings = links.map(function (link) {
    return document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
  });
  var current = null;
  function mark() {
    var line = window.innerHeight / 4, found = -1;
    headings.forEach(function (heading, i) {
      if (heading && heading.getBoundingClientRect().top <= line) found = i;
    });
    var link = found >= 0 ? links[found] : null;
    if (link === current) return;
    if (current) current.removeAttribute("aria-current");
    if (link) link.setAttribute("aria-current", "location");
    current = link;
  }
  var pending = false;
  window.addEventListener("scroll", function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; mark(); });
  }, {passive: true});
  mark();
})();
