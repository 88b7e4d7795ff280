// Comments: show the confirmation of a comment just sent; fetch a CSRF token and the form's
// stamp when the reader starts writing (pages are served without them, the same bytes for every
// reader),
// and turn "Reply" links into replies in place. Without script the form still works.
(function () {
  "use strict";
  // the confirmation of a comment just sent stands by the form: bring it into view and
  // focus it, so that a screen reader reads it out too
  var notice = document.getElementById("comment-notice");
  if (notice) notice.focus({preventScroll: location.hash === "#comment-notice"});
  var form = document.getElementById("comment-form");
  if (!form) return;
  var tokenInput = form.querySelector("input[name=csrf_token]");
  var stampInput = form.querySelector("input[name=started]");
  var parentInput = form.querySelector("input[name=parent_id]");
  var context = form.querySelector(".reply-context");
  var asked = null;
  // tokens expire after data-token-seconds; one older than half that is fetched again
  var tokenMs = Number(form.dataset.tokenSeconds || 0) * 1000;
  var tokenAt = Date.now();

  function usable() {
    return tokenInput.value && stampInput.value && !(tokenMs && Date.now() - tokenAt > tokenMs / 2);
  }

  function ensureToken() {
    if (usable() || asked) return asked;
    asked = fetch(form.dataset.tokenUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.csrf_token) { tokenInput.value = data.csrf_token; tokenAt = Date.now(); }
        // a stamp already there counts the time spent since it was made
        if (data.started && !stampInput.value) { stampInput.value = data.started; }
        asked = null;
      })
      .catch(function () { asked = null; });  // the server asks again on submit if need be
    return asked;
  }

  form.addEventListener("focusin", ensureToken);
  form.addEventListener("submit", function (event) {
    if (usable()) return;
    event.preventDefault();
    var p = ensureToken();
    (p || Promise.resolve()).then(function () { form.submit(); });
  });

  function setReply(id, name) {
    parentInput.value = id || "";
    context.querySelector(".reply-name").textContent = name || "";
    context.classList.toggle("d-none", !id);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.comment-reply-link");
    if (link) {
      event.preventDefault();
      setReply(link.dataset.replyTo, link.dataset.replyName);
      form.scrollIntoView({behavior: "smooth", block: "start"});
      form.querySelector("textarea").focus({preventScroll: true});
      return;
    }
    if (event.target.closest("a.reply-cancel")) {
      event.preventDefault();
      setReply("", "");
    }
  });
})();
