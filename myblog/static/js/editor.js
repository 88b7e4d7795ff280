// Editor: server-rendered live preview that follows the cursor, autosave, image upload (file
// picker, paste, drop), Ctrl/Cmd+S and a warning before leaving unsaved work. Loaded from a
// file: the CSP forbids inline script.
// The preview and autosave go over one WebSocket (/live/preview) while it is open, else through
// POST /api/preview and /api/autosave; a socket that closes is tried again after a while
// (messages: docs/live.md).
(function () {
  "use strict";
  var editor = document.querySelector(".editor");
  if (!editor) return;
  var source = editor.querySelector("textarea");
  var preview = document.getElementById("preview");
  var form = document.getElementById("post-form");
  var titleInput = form.querySelector("input[name=title]");
  var token = form.querySelector("input[name=csrf_token]").value;
  var postId = editor.dataset.postId ? Number(editor.dataset.postId) : null;
  var timer = null;
  var seq = 0;

  // the page's own words, translated by the server (data-msg-*)
  function msg(name, n) {
    var key = "msg" + name.replace(/(^|-)(\w)/g, function (m, dash, c) { return c.toUpperCase(); });
    return (editor.dataset[key] || name).replace("{n}", n);
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

  // POST JSON with the CSRF token; a 400 (a token the session no longer knows) is tried once
  // more with a fresh token. Resolves to the answer's JSON, with `status`.
  function postJson(url, payload, retried) {
    return freshToken(!!retried).then(function (csrf) {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
        body: JSON.stringify(payload)
      });
    }).then(function (r) {
      if (r.status === 400 && !retried) return postJson(url, payload, true);
      return r.json().then(function (data) { data.status = r.status; return data; });
    });
  }

  // -- leaving: a warning while the form holds changes that were not saved --------------------
  var leaving = false;
  function formState() {
    var parts = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token" && typeof value === "string") parts.push(name + "=" + value);
    });
    return parts.join("&");
  }
  var savedState = formState();
  function unsaved() {
    return !leaving && (editor.dataset.unsaved === "true" || formState() !== savedState);
  }
  window.addEventListener("beforeunload", function (event) {
    if (!unsaved()) return;
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to ask
  });

  var saving = false;
  form.addEventListener("submit", function (event) {
    leaving = true;
    if (saving) return;  // the submission requested below, with the fresh token in place
    event.preventDefault();
    var submitter = event.submitter;
    freshToken(true).then(function () {
      saving = true;
      form.requestSubmit(submitter);
      saving = false;
    });
  });

  // Ctrl+S / Cmd+S saves the post, as the Save button does
  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || (event.key || "").toLowerCase() !== "s") return;
    event.preventDefault();
    form.requestSubmit(form.querySelector("[type=submit]"));
  });

  // -- the socket ---------------------------------------------------------------------------
  var socket = null;
  var socketWaiting = 0;  // the preview seq sent over the socket and not answered yet
  var autosaveWaiting = 0;  // the autosave seq sent over the socket and not answered yet
  var socketAgainAt = 0;

  function show(data, via) {
    if (data.seq !== undefined && data.seq !== seq) return;  // a newer keystroke already asked again
    // the server sanitised this HTML with the same pipeline that renders saved posts
    preview.innerHTML = data.html !== undefined ? data.html : "";
    if (data.error) preview.textContent = data.error.message;
    if (data.type === "error") preview.textContent = data.message;
    editor.dataset.previewVia = via;
    follow();
  }

  function openSocket() {
    if (socket || !window.WebSocket || !editor.dataset.socketUrl || Date.now() < socketAgainAt) return;
    // this page's scheme and host: behind a TLS proxy the server may not know it is https
    var path = new URL(editor.dataset.socketUrl, location.href).pathname;
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + path);
    socket = ws;
    ws.onopen = function () { if (ws === socket) render(); };
    ws.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (autosaveWaiting && data.seq === autosaveWaiting) {
        autosaveWaiting = 0;
        autosaveAnswer(data, "socket");
        return;
      }
      if (data.seq === socketWaiting) socketWaiting = 0;
      show(data, "socket");
    };
    // a socket refused (signed out: 1008), dropped or failed: what it was asked goes over
    // HTTP, which says why if it cannot answer either; the socket is tried again later
    ws.onclose = function () {
      if (ws !== socket) return;
      socket = null;
      socketAgainAt = Date.now() + 30000;
      if (socketWaiting) { socketWaiting = 0; render(); }
      if (autosaveWaiting) { autosaveWaiting = 0; sentState = null; autosaveNow(); }
    };
  }

  function socketOpen() {
    return socket && socket.readyState === WebSocket.OPEN;
  }

  function render() {
    var mine = ++seq;
    if (socketOpen()) {
      socketWaiting = mine;
      socket.send(JSON.stringify({type: "preview", seq: mine, markdown: source.value}));
      return;
    }
    openSocket();
    postJson(editor.dataset.previewUrl, {markdown: source.value}).then(function (data) {
      if (mine !== seq) return;  // a newer keystroke already asked again
      show(data, "http");
    }).catch(function () { if (mine === seq) preview.textContent = msg("preview-unavailable"); });
  }

  source.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(render, 250);
  });
  render();

  // -- autosave: the title and body kept on the server a few seconds after a change ----------
  var autosaveMs = Number(editor.dataset.autosaveSeconds || 3) * 1000;
  var autosaveTimer = null;
  var keptState = JSON.stringify([titleInput.value, source.value]);  // what the server holds
  var sentState = null;
  var savedAt = 0;
  var status = document.getElementById("autosave-status");

  function scheduleAutosave() {
    if (!autosaveTimer) autosaveTimer = setTimeout(autosaveNow, autosaveMs);
  }

  function autosaveNow() {
    clearTimeout(autosaveTimer);
    autosaveTimer = null;
    var state = JSON.stringify([titleInput.value, source.value]);
    // once the form is being saved, the save keeps the text (an autosave arriving after it
    // would be offered back as unsaved work)
    if (leaving || state === keptState || autosaveWaiting || sentState !== null) return;
    var payload = {post_id: postId, title: titleInput.value, body: source.value};
    sentState = state;
    status.textContent = msg("saving");
    if (socketOpen()) {
      autosaveWaiting = ++seq;
      payload.type = "autosave";
      payload.seq = autosaveWaiting;
      socket.send(JSON.stringify(payload));
      return;
    }
    openSocket();
    postJson(editor.dataset.autosaveUrl, payload)
      .then(function (data) { autosaveAnswer(data, "http"); })
      .catch(function () { sentState = null; status.textContent = msg("not-saved"); scheduleAutosave(); });
  }

  function autosaveAnswer(data, via) {
    var sent = sentState;
    sentState = null;
    var error = data.error || (data.type === "error" ? data : null);
    if (error) {
      status.textContent = msg("not-saved") + ": " + error.message;
      return;
    }
    keptState = sent;
    savedAt = Date.now();
    editor.dataset.autosaveVia = via;
    showSaved();
    if (JSON.stringify([titleInput.value, source.value]) !== keptState) scheduleAutosave();
  }

  function showSaved() {
    if (!savedAt || sentState !== null) return;
    var seconds = Math.floor((Date.now() - savedAt) / 1000);
    status.textContent = seconds < 2 ? msg("saved-now")
      : seconds < 60 ? msg("saved-seconds", seconds) : msg("saved-minutes", Math.floor(seconds / 60));
  }
  setInterval(showSaved, 1000);

  source.addEventListener("input", scheduleAutosave);
  titleInput.addEventListener("input", scheduleAutosave);
  // a tab put away may never come back (a crash, a closed laptop): keep the work now
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") autosaveNow();
  });

  // the autosave the server kept from an earlier visit, offered back
  var restoreBox = document.getElementById("autosave-restore");
  if (restoreBox) {
    document.getElementById("autosave-restore-button").addEventListener("click", function () {
      titleInput.value = document.getElementById("autosave-title").value;
      source.value = document.getElementById("autosave-body").value;
      keptState = JSON.stringify([titleInput.value, source.value]);
      restoreBox.remove();
      render();
      source.focus();
    });
    document.getElementById("autosave-discard-button").addEventListener("click", function () {
      restoreBox.remove();
      postJson(editor.dataset.autosaveUrl, {post_id: postId, discard: true}).catch(function () {});
    });
  }

  // -- the preview follows the cursor: block elements carry their first source line ---------
  var followTimer = null;
  function caretLine() {
    return source.value.slice(0, source.selectionStart).split("\n").length - 1;
  }
  function follow() {
    var line = caretLine();
    var blocks = preview.querySelectorAll("[data-line]");
    var target = null;
    for (var i = 0; i < blocks.length; i++) {
      if (Number(blocks[i].dataset.line) > line) break;
      target = blocks[i];
    }
    if (!target) { preview.scrollTop = 0; return; }
    var offset = target.getBoundingClientRect().top - preview.getBoundingClientRect().top;
    preview.scrollTop += offset - preview.clientHeight / 3;
  }
  function followSoon() {
    clearTimeout(followTimer);
    followTimer = setTimeout(follow, 50);
  }
  ["keyup", "click", "select"].forEach(function (name) { source.addEventListener(name, followSoon); });

  // -- images: the file picker, pasted and dropped files; alt text asked for ---------------
  var upload = document.getElementById("image-upload");
  var uploadStatus = document.getElementById("upload-status");

  function insertAt(at, text) {
    source.value = source.value.slice(0, at) + text + source.value.slice(at);
    source.selectionStart = source.selectionEnd = at + text.length;
    source.dispatchEvent(new Event("input"));
  }

  function uploadImage(file, at) {
    // the writer describes the image for readers who cannot see it (not the file's name);
    // no answer leaves the alt text empty, as for a decorative image
    var alt = window.prompt(msg("alt"), "") || "";
    var body = new FormData();
    body.append("image", file, file.name || "pasted-image");
    body.append("alt", alt);
    uploadStatus.textContent = msg("uploading");
    return freshToken(false).then(function (csrf) {
      return fetch(editor.dataset.uploadUrl, {
        method: "POST", credentials: "same-origin", body: body,
        headers: {"X-CSRFToken": csrf, "Accept": "application/json"}
      });
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (data.error) { uploadStatus.textContent = data.error.message; return; }
      insertAt(Math.min(at, source.value.length), "\n" + data.markdown + "\n");
      uploadStatus.textContent = msg("inserted");
    }).catch(function () { uploadStatus.textContent = msg("upload-failed"); });
  }

  function uploadAll(files, at) {
    var chain = Promise.resolve();
    files.forEach(function (file) { chain = chain.then(function () { return uploadImage(file, at); }); });
    return chain;
  }

  function imageFiles(list) {
    return Array.prototype.filter.call(list || [], function (f) { return f.kind === undefined || f.kind === "file"; });
  }

  upload.addEventListener("change", function () {
    if (!upload.files.length) return;
    var at = source.selectionStart || source.value.length;
    uploadAll(imageFiles(upload.files), at).then(function () { upload.value = ""; });
  });
  source.addEventListener("paste", function (event) {
    var files = imageFiles(event.clipboardData && event.clipboardData.files);
    if (!files.length) return;  // text pastes as usual
    event.preventDefault();
    uploadAll(files, source.selectionStart);
  });
  source.addEventListener("dragover", function (event) {
    if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) {
      event.preventDefault();
    }
  });
  source.addEventListener("drop", function (event) {
    var files = imageFiles(event.dataTransfer && event.dataTransfer.files);
    if (!files.length) return;
    event.preventDefault();
    uploadAll(files, source.selectionStart);
  });
})();
