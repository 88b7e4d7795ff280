// Editor: server-rendered live preview and image upload. Loaded from a file: the CSP forbids inline script.
(function () {
  "use strict";
  var editor = document.querySelector(".editor");
  if (!editor) return;
  var source = editor.querySelector("textarea");
  var preview = document.getElementById("preview");
  var token = document.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var seq = 0;

  function render() {
    var mine = ++seq;
    fetch(editor.dataset.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token},
      body: JSON.stringify({markdown: source.value})
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
    fetch(editor.dataset.uploadUrl, {
      method: "POST", credentials: "same-origin", body: body,
      headers: {"X-CSRFToken": token, "Accept": "application/json"}
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
