// Parts of a page that show work in progress (a webhook delivery waiting
// for its next attempt) are read again every few seconds while it lasts:
// a part with an id and data-refresh="SECONDS" is refreshed while it
// holds an element marked data-pending. The outcome of an attempt is not
// an event, so the live stream (live.js) cannot tell; when live.js
// updates a part that now shows pending work, the refreshing starts
// again. While nothing changes the reads slow down (up to one every 30
// seconds: a delivery may wait minutes for its next attempt), and speed
// up again at the next change. Without JavaScript, a reload shows the
// same.
(function () {
  "use strict";
  if (!window.fetch || !window.DOMParser) { return; }
  Array.prototype.forEach.call(document.querySelectorAll("[data-refresh][id]"), function (part) {
    var base = Math.max(1, parseInt(part.getAttribute("data-refresh"), 10) || 5);
    var seconds = base, timer = null;
    function pending() { return part.querySelector("[data-pending]") !== null; }
    function schedule() {
      if (timer === null && pending()) { timer = window.setTimeout(tick, seconds * 1000); }
    }
    function tick() {
      timer = null;
      if (document.hidden) { schedule(); return; }
      fetch(window.location.href, { credentials: "same-origin", headers: { "X-Live": "1" } })
        .then(function (res) { return res.ok ? res.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          var next = new DOMParser().parseFromString(html, "text/html").getElementById(part.id);
          if (next && next.innerHTML !== part.innerHTML) {
            part.innerHTML = next.innerHTML;
            seconds = base;
          } else {
            seconds = Math.min(30, seconds * 1.5);
          }
        })
        .catch(function () { /* tried again at the next tick */ })
        .then(schedule);
    }
    part.addEventListener("live:updated", function () { seconds = base; schedule(); });
    schedule();
  });
})();
