// Live updates for the console's pages, without a framework.
//
// A page marks the parts that change with data-live: a space-separated
// list of event type prefixes ("message. conversation."), and an id. When
// the server's stream (/live, Server-Sent Events) reports an event of one
// of those types, the page is read again from the server and each marked
// part whose content changed is replaced by its new version. A part may
// narrow itself to one conversation with data-live-conversation="conv_…",
// and space its updates with data-live-every="SECONDS".
// Forms the person is typing in stay outside marked parts, so nothing
// they typed is lost. Without JavaScript the pages are the same, and a
// reload shows what changed.
(function () {
  "use strict";
  if (!window.EventSource || !window.fetch || !window.DOMParser) { return; }
  var parts = document.querySelectorAll("[data-live][id]");
  if (parts.length === 0) { return; }

  function wants(el, ev) {
    var conv = el.getAttribute("data-live-conversation");
    if (conv && ev.conversation_id && conv !== ev.conversation_id) { return false; }
    // "message.*" and "message." both mean every message event; "*"
    // means every event.
    return el.getAttribute("data-live").split(/\s+/).some(function (p) {
      return p !== "" && ev.type.indexOf(p.replace(/\*$/, "")) === 0;
    });
  }

  // A part whose page is costly to render says how often, at most, it is
  // read again: data-live-every="15" (seconds).
  function every(id) {
    var el = document.getElementById(id);
    return el ? 1000 * (parseFloat(el.getAttribute("data-live-every")) || 0) : 0;
  }

  var dirty = {}, timer = null, busy = false, last = 0;
  function schedule(ids) {
    ids.forEach(function (id) { dirty[id] = true; });
    if (timer !== null) { return; }
    var gap = Math.max.apply(null, Object.keys(dirty).map(every));
    timer = window.setTimeout(refresh, Math.max(250, last + gap - Date.now()));
  }

  function refresh() {
    timer = null;
    if (busy) { timer = window.setTimeout(refresh, 250); return; }
    var ids = Object.keys(dirty);
    dirty = {};
    if (ids.length === 0) { return; }
    busy = true;
    last = Date.now();
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Live": "1" } })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        ids.forEach(function (id) {
          var now = document.getElementById(id), next = doc.getElementById(id);
          if (now && next && now.innerHTML !== next.innerHTML) {
            now.innerHTML = next.innerHTML;
            now.dispatchEvent(new CustomEvent("live:updated", { bubbles: true }));
          }
        });
      })
      .catch(function () { /* the next event or reconnection tries again */ })
      .then(function () { busy = false; });
  }

  function allIDs() {
    return Array.prototype.map.call(parts, function (el) { return el.id; });
  }

  // The stream starts where the page was rendered (data-live-since), so
  // that a change made meanwhile is not missed; after that, at the last
  // change received.
  var since = document.body.getAttribute("data-live-since") || "";
  var opened = false, delay = 3000;
  function connect() {
    var stream = new EventSource("/live" + (since ? "?since=" + encodeURIComponent(since) : ""));
    stream.addEventListener("open", function () {
      // After a dropped connection the server replays what was missed
      // (Last-Event-ID); read everything once more besides, in case the
      // replay window was passed.
      if (opened) { schedule(allIDs()); }
      opened = true;
      delay = 3000;
    });
    stream.addEventListener("change", function (e) {
      if (e.lastEventId) { since = e.lastEventId; }
      var ev;
      try { ev = JSON.parse(e.data); } catch (err) { return; }
      var ids = [];
      Array.prototype.forEach.call(parts, function (el) { if (wants(el, ev)) { ids.push(el.id); } });
      if (ids.length > 0) { schedule(ids); }
    });
    stream.addEventListener("error", function () {
      // The browser reconnects by itself after a dropped connection, but
      // gives up after an answer that is not a stream (a server stopping
      // answers 503): then try again, less and less often.
      if (stream.readyState === EventSource.CLOSED) {
        window.setTimeout(connect, delay);
        delay = Math.min(delay * 2, 60000);
      }
    });
  }
  connect();
})();
