// Editor: server-rendered live preview and image upload. Loaded from a file: the CSP forbids inline script.
// The preview goes over one WebSocket (/live/preview) while it is open, else through POST
// /api/preview; a socket that closes is tried again after a while. Autosave will use the same
// socket (messages: docs/live.md).
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

  // the page's words come from data-say-* attributes, in the page's language
  function said(key, fallback) {
    return editor.dataset["say" + key.charAt(0).toUpperCase() + key.slice(1)] || fallback;
  }

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

  var socket = null;
  var socketWaiting = 0;  // the seq sent over the socket and not answered yet
  var socketAgainAt = 0;

  function show(data, via) {
    if (data.seq !== undefined && data.seq !== seq) return;  // a newer keystroke already asked again
    // the server sanitised this HTML with the same pipeline that renders saved posts
    preview.innerHTML = data.html !== undefined ? data.html : "";
    if (data.error) preview.textContent = data.error.message;
    if (data.type === "error") preview.textContent = data.message;
    editor.dataset.previewVia = via;
  }

  function openSocket() {
    if (socket || !window.WebSocket || !editor.dataset.socketUrl || Date.now() < socketAgainAt) return;
    // this page's scheme and host: behind a TLS proxy the server may not know it is https
    var path = new URL(editor.dataset.socketUrl, location.href).pathname;
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + path);
    socket = ws;
    ws.onopen = function () { if (ws === socket) render(); };
    ws.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.seq === socketWaiting) socketWaiting = 0;
      show(data, "socket");
    };
    ws.onclose = function () {
      if (ws !== socket) return;
      socket = null;
      socketAgainAt = Date.now() + 30000;
      if (socketWaiting) { socketWaiting = 0; render(); }  // its answer is lost: ask over HTTP
    };
  }

  function render() {
    var mine = ++seq;
    if (socket && socket.readyState === WebSocket.OPEN) {
      socketWaiting = mine;
      socket.send(JSON.stringify({type: "preview", seq: mine, markdown: source.value}));
      return;
    }
    openSocket();
    freshToken(false).then(function (csrf) {
      return fetch(editor.dataset.previewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
        body: JSON.stringify({markdown: source.value})
      });
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (mine !== seq) return;  // a newer keystroke already asked again
      show(data, "http");
    }).catch(function () { if (mine === seq) preview.textContent = said("previewFailed", "Preview unavailable."); });
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
    status.textContent = said("uploading", "Uploading…");
    freshToken(false).then(function (csrf) {
      return fetch(editor.dataset.uploadUrl, {
        method: "POST", credentials: "same-origin", body: body,
        headers: {"X-CSRFToken": csrf, "Accept": "application/json"}
      });
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (data.error) { status.textContent = data.error.message; return; }
      var at = source.selectionStart || source.value.length;
      source.value = source.value.slice(0, at) + "\n" + data.markdown + "\n" + source.value.slice(at);
      status.textContent = said("inserted", "Inserted.");
      upload.value = "";
      render();
    }).catch(function () { status.textContent = said("uploadFailed", "Upload failed."); });
  });
})();
