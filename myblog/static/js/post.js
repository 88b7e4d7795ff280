// The post page: a "Copy" button on every code block (Clipboard API), saying "Copied" where it
// was pressed. The labels come from the article's data attributes, in the page's language.
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
})();
