// Light or dark: the reader's own choice (a cookie the server renders into data-bs-theme), or,
// until they make one, their system's preference, followed when it changes. Loaded in <head>
// so the page is painted in the right colours from the start.
(function () {
  "use strict";
  var root = document.documentElement;
  if (root.dataset.themeChoice !== "auto" || !window.matchMedia) return;
  var dark = window.matchMedia("(prefers-color-scheme: dark)");

  function follow() {
    var theme = dark.matches ? "dark" : "light";
    root.dataset.bsTheme = theme;
    // the toggle offers the other one (its form was rendered for a light page)
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    var other = theme === "dark" ? "light" : "dark";
    button.form.action = button.form.action.replace(/\/(light|dark)$/, "/" + other);
    // the words are the page's, in its language (data-* attributes rendered with the button)
    var words = button.dataset;
    button.textContent = (other === "light" ? words.labelLight : words.labelDark) || button.textContent;
    var label = other === "light" ? words.ariaLight : words.ariaDark;
    if (label) button.setAttribute("aria-label", label);
  }

  follow();
  dark.addEventListener("change", follow);
  document.addEventListener("DOMContentLoaded", follow);
})();
