// Editor: server-rendered live preview and image upload. Loaded from a file: the CSP forbids inline script.
(function () {
  "use strict";
  var editor = document.querySelector(".editor");
  if (!editor) return;
  var source = editor.querySelector("textarea");
  var preview = document.getElementById("preview");
  var form = document.getElementById("post-form");
  var token = form.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var seq = 0;

  // CSRF tokens expire after data-token-seconds: a page open for hours fetches a fresh one
  // before it sends one older than half that, and always just before saving the post.
  var tokenMs = Number(editor.dataset.tokenSeconds || 0) * 1000;
  var tokenAt = Date.now();

  function freshToken(always) {
    if (!always && (!tokenMs || Date.now() - tokenAt < tokenMs / 2)) return Promise.resolve(token);
    return fetch(editor.dataset.tokenUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (!data.csrf_token) return token;
        token = data.csrf_token;
        tokenAt = Date.now();
        document.querySelectorAll("input[name=csrf_token]").forEach(function (input) { input.value = token; });
        return token;
      })
      .catch(function () { return token; });  // offline: send the old one and let the server decide
  }

  var saving = false;
  form.addEventListener("submit", function (event) {
    if (saving) return;  // the submission requested below, with the fresh token in place
    event.preventDefault();
    var submitter = event.submitter;
    freshToken(true).then(function () {
      saving = true;
      form.requestSubmit(submitter);
      saving = false;
    });
  });

  function render() {
    var mine = ++seq;
    freshToken(false).then(function (csrf) {
      return fetch(editor.dataset.previewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
        body: JSON.stringify({markdown: source.value})
      });
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (mine !== seq) return;  // a newer keystroke already asked again
      // the server sanitised this HTML with the same pipeline that renders saved posts
      preview.innerHTML = data.html !== undefined ? data.html : "";
      if (data.error) preview.textContent = data.error.message;
    }).catch(function () { preview.textContent = "Preview unavailable."; });
  }

  source.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(render, 250);
  });
  render();

  var upload = document.getElementById("image-upload");
  var status = document.getElementById("upload-status");
  upload.addEventListener("change", function () {
    if (!upload.files.length) return;
    var body = new FormData();
    body.append("image", upload.files[0]);
    status.textContent = "Uploading…";
    freshToken(false).then(function (csrf) {
      return fetch(editor.dataset.uploadUrl, {
        method: "POST", credentials: "same-origin", body: body,
        headers: {"X-CSRFToken": csrf, "Accept": "application/json"}
      });
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (data.error) { status.textContent = data.error.message; return; }
      var at = source.selectionStart || source.value.length;
      source.value = source.value.slice(0, at) + "\n" + data.markdown + "\n" + source.value.slice(at);
      status.textContent = "Inserted.";
      upload.value = "";
      render();
    }).catch(function () { status.textContent = "Upload failed."; });
  });
})();
