// Live updates: follows the page's channel (an element #live says which, and from which event id
// the page was rendered) with Server-Sent Events, or by long polling when EventSource is missing,
// when told so (?live=poll), or when the stream stays silent past two heartbeats (a proxy that
// buffers it). Both carry the same event ids, so switching loses nothing and repeats nothing;
// what the page already shows (a comment, a post) is recognised by its id and skipped.
(function () {
  "use strict";
  var config = document.getElementById("live");
  if (!config) return;
  var data = config.dataset;
  var lastId = data.liveAfter || "";
  var silentMs = (2 * Number(data.liveHeartbeat || 15) + 5) * 1000;
  var failures = 0;
  var STOP = {};  // thrown when the server says this page may not follow (4xx)

  function withPosition(url) {
    return lastId ? url + "?after=" + encodeURIComponent(lastId) : url;
  }

  function backoff() {
    failures += 1;
    return Math.min(60000, 1000 * Math.pow(2, failures)) * (0.5 + Math.random() / 2);
  }

  // --- what each event does -------------------------------------------------------------------

  function onComment(p) {
    if (document.getElementById("comment-" + p.comment_id)) return;  // the page has it already
    var holder = document.createElement("div");
    holder.innerHTML = p.html.trim();  // rendered by the server with the thread's own markup
    var item = holder.firstElementChild;
    item.classList.add("comment-live");
    listFor(p.parent_id).appendChild(item);
    var title = document.getElementById("comments-title");
    var count = Number(title.dataset.count || 0) + 1;
    title.dataset.count = count;
    // the words come from the page, in its language: data-one / data-other hold "{n}"
    var words = (count === 1 ? title.dataset.one : title.dataset.other) || "{n}";
    title.textContent = words.replace("{n}", count);
  }

  function listFor(parentId) {
    var parent = parentId && document.getElementById("comment-" + parentId);
    var list;
    if (parent) {
      list = parent.querySelector(":scope > ol.comment-replies");
      if (!list) {
        list = document.createElement("ol");
        var depth = 0;
        for (var at = parent.parentElement; at; at = at.parentElement) {
          if (at.classList.contains("comment-replies")) depth += 1;
        }
        list.className = "list-unstyled comment-replies" + (depth < 3 ? " ms-3 ms-md-4 ps-3 border-start" : "");
        parent.appendChild(list);
      }
      return list;
    }
    list = document.querySelector("#comments ol.comment-thread");
    if (!list) {
      list = document.createElement("ol");
      list.className = "list-unstyled comment-thread";
      document.getElementById("comments-title").after(list);
    }
    return list;
  }

  function onPost(p) {
    if (document.querySelector('.post-card a[href="' + p.url + '"]')) return;  // listed already
    var notice = document.querySelector(".live-notice");
    if (!notice) {
      notice = document.createElement("div");
      notice.className = "alert alert-info live-notice";
      notice.setAttribute("role", "status");
      var live = document.getElementById("live");
      notice.append(live.dataset.textNew || "New:", " ");
      var list = document.createElement("span");
      list.className = "live-titles";
      notice.append(list, " — ");
      var refresh = document.createElement("a");
      refresh.href = location.pathname;
      refresh.textContent = live.dataset.textRefresh || "refresh";
      notice.append(refresh);
      document.getElementById("content").prepend(notice);
    }
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = p.title;
    var titles = notice.querySelector(".live-titles");
    if (titles.childNodes.length) titles.prepend(link, ", "); else titles.prepend(link);
  }

  function onNotice(p) {
    document.querySelectorAll(".live-badge").forEach(function (badge) {
      var count = Number(badge.dataset.count || 0) + 1;
      badge.dataset.count = count;
      badge.textContent = count;
      badge.classList.remove("d-none");
    });
    var toasts = document.querySelector(".live-toasts");
    if (!toasts) return;
    var toast = document.createElement("div");
    toast.className = "toast show live-toast";
    var body = document.createElement("div");
    body.className = "toast-body";
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = p.text;
    body.append(link);
    toast.append(body);
    toasts.append(toast);
    setTimeout(function () { toast.remove(); }, 15000);
  }

  function onReload() {
    // the page is older than the server's log of events: only a fresh page is complete. Once a
    // minute at most, so that a page served from a stale cache cannot loop.
    var key = "myblog-live-reloaded";
    var last = Number(sessionStorage.getItem(key) || 0);
    if (Date.now() - last < 60000) return;
    sessionStorage.setItem(key, String(Date.now()));
    location.reload();
  }

  var handlers = {comment: onComment, post: onPost, notice: onNotice, reload: onReload};

  function handle(type, payload, id) {
    if (id) lastId = id;
    if (handlers[type]) handlers[type](payload);
  }

  // --- Server-Sent Events ---------------------------------------------------------------------

  function stream() {
    config.dataset.liveMode = "stream";
    var source = new EventSource(withPosition(data.liveEvents));
    var lastError = 0;
    var watchdog = null;
    function heard() {
      clearTimeout(watchdog);
      watchdog = setTimeout(silent, silentMs);
    }
    function silent() {
      // connected (or never refused) and yet nothing, not even a ping: something holds the stream
      if (source.readyState === EventSource.OPEN || Date.now() - lastError > silentMs) {
        source.close();
        poll();
      } else {
        heard();  // the server is away; EventSource keeps trying by itself
      }
    }
    ["comment", "post", "notice", "reload", "ping"].forEach(function (type) {
      source.addEventListener(type, function (event) {
        heard();
        failures = 0;
        handle(type, type === "ping" ? null : JSON.parse(event.data), event.lastEventId);
      });
    });
    source.onerror = function () {
      lastError = Date.now();
      if (source.readyState !== EventSource.CLOSED) return;  // reconnecting with Last-Event-ID
      // an HTTP error ends EventSource for good: ask once by long polling, which says whether
      // to stop (4xx) and delivers what was missed; then stream again
      clearTimeout(watchdog);
      pollOnce().then(function () { setTimeout(stream, backoff()); }, function (err) {
        if (err !== STOP) setTimeout(stream, backoff());
      });
    };
    heard();
  }

  // --- long polling ---------------------------------------------------------------------------

  function pollOnce() {
    return fetch(withPosition(data.livePoll), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.status >= 400 && response.status < 500 && response.status !== 429) throw STOP;
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (body) {
        body.events.forEach(function (event) { handle(event.type, event.data, String(event.id)); });
        lastId = String(body.last_id);
        if (body.reload) onReload();
        failures = 0;
      });
  }

  function poll() {
    config.dataset.liveMode = "poll";
    pollOnce().then(poll, function (err) {
      if (err !== STOP) setTimeout(poll, backoff());
    });
  }

  var told = new URLSearchParams(location.search).get("live");
  if (told === "poll" || !window.EventSource) poll(); else stream();
})();
