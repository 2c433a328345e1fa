/* Switchboard web chat widget. Embed with one tag:
 *   <script src="https://switchboard.example.com/webchat/widget.js" data-channel="ch_…" async></script>
 * Optional attributes: data-title="Chat with us", data-open="true".
 * Theme it with CSS variables set on the page (any ancestor of the widget):
 *   --sb-accent, --sb-accent-text, --sb-bg, --sb-text, --sb-muted, --sb-bubble,
 *   --sb-focus, --sb-font, --sb-radius, --sb-width, --sb-height, --sb-offset, --sb-z */
(function () {
  "use strict";
  var script = document.currentScript;
  var channel = script && script.getAttribute("data-channel");
  if (!channel) { console.error("switchboard: the widget's <script> tag needs data-channel"); return; }
  var base = new URL(script.src, location.href).href.replace(/\/webchat\/widget\.js([?#].*)?$/, "");
  var wsURL = base.replace(/^http/, "ws") + "/webchat/" + encodeURIComponent(channel) + "/ws";
  var key = "switchboard-webchat:" + channel;
  var state = {};
  try { state = JSON.parse(localStorage.getItem(key)) || {}; } catch (e) { /* private mode */ }
  function save() { try { localStorage.setItem(key, JSON.stringify(state)); } catch (e) { /* full or blocked */ } }

  var host = document.createElement("div");
  host.setAttribute("data-switchboard-webchat", channel);
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML = "<style>" +
    ":host{all:initial;--a:var(--sb-accent,#2563eb);--at:var(--sb-accent-text,#fff);--bg:var(--sb-bg,#fff);" +
    "--b:var(--sb-bubble,#eef0f3);--m:var(--sb-muted,#5b6270);--r:var(--sb-radius,12px);--o:var(--sb-offset,20px);" +
    "position:fixed;right:var(--o);bottom:var(--o);z-index:var(--sb-z,2147483000);color:var(--sb-text,#111827);" +
    "font:14px/1.4 var(--sb-font,system-ui,-apple-system,'Segoe UI',Roboto,sans-serif)}" +
    "*{box-sizing:border-box}[hidden]{display:none!important}" +
    "button{font:inherit;cursor:pointer;border:0}" +
    ":focus-visible{outline:3px solid var(--sb-focus,#f59e0b);outline-offset:2px}" +
    ".launcher{width:56px;height:56px;border-radius:50%;background:var(--a);color:var(--at);display:grid;" +
    "place-items:center;position:relative;box-shadow:0 4px 12px rgba(0,0,0,.25)}" +
    ".badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;" +
    "background:#c81e1e;color:#fff;font-size:12px;line-height:20px}" +
    ".panel{position:absolute;right:0;bottom:72px;width:var(--sb-width,360px);max-width:calc(100vw - 2*var(--o));" +
    "height:var(--sb-height,520px);max-height:calc(100vh - 120px);display:flex;flex-direction:column;" +
    "background:var(--bg);border-radius:var(--r);box-shadow:0 8px 30px rgba(0,0,0,.25);overflow:hidden}" +
    "header{display:flex;align-items:center;justify-content:space-between;padding:12px 16px;background:var(--a);color:var(--at)}" +
    "h2{margin:0;font-size:16px}.close{background:none;color:inherit;font-size:22px;line-height:1;padding:0 4px}" +
    ".log{flex:1;overflow-y:auto;list-style:none;margin:0;padding:12px;display:flex;flex-direction:column;gap:8px}" +
    ".log li{max-width:80%;padding:8px 12px;border-radius:var(--r);white-space:pre-wrap;overflow-wrap:anywhere;background:var(--b)}" +
    ".log .me{align-self:flex-end;background:var(--a);color:var(--at)}.log .pending{opacity:.6}" +
    ".log .failed{outline:2px solid #c81e1e}.status{margin:0;padding:4px 12px;font-size:12px;color:var(--m)}" +
    ".status:empty{display:none}form{display:flex;gap:8px;padding:12px;border-top:1px solid rgba(0,0,0,.1)}" +
    "textarea{flex:1;resize:none;font:inherit;color:inherit;background:var(--bg);padding:8px;" +
    "border:1px solid var(--m);border-radius:8px;max-height:120px}" +
    ".send{border-radius:8px;padding:0 16px;background:var(--a);color:var(--at)}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    "</style>" +
    "<button class='launcher' type='button' aria-expanded='false' aria-controls='panel'>" +
    "<svg aria-hidden='true' viewBox='0 0 24 24' width='26' height='26'><path fill='currentColor' " +
    "d='M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z'/></svg>" +
    "<span class='sr'>Open chat</span><span class='badge' hidden></span></button>" +
    "<section id='panel' class='panel' role='dialog' aria-modal='false' aria-labelledby='title' hidden>" +
    "<header><h2 id='title'></h2><button class='close' type='button' aria-label='Close chat'>&times;</button></header>" +
    "<ol class='log' role='log' aria-live='polite' aria-label='Messages'></ol>" +
    "<p class='status' role='status'></p>" +
    "<form><label class='sr' for='input'>Message</label>" +
    "<textarea id='input' rows='2' maxlength='4096' placeholder='Write a message…'></textarea>" +
    "<button class='send' type='submit'>Send</button></form></section>";
  function $(s) { return root.querySelector(s); }
  var launcher = $(".launcher"), badge = $(".badge"), panel = $(".panel"), log = $(".log");
  var status = $(".status"), form = $("form"), input = $("textarea");
  $("h2").textContent = script.getAttribute("data-title") || "Chat";

  var ws = null, ready = false, started = false, attempt = 0, timer = 0;
  var newest = "", unread = 0, ids = {}, mine = {}, pending = {};

  function setStatus(s) { status.textContent = s; }
  function add(cls, who, text) {
    var li = document.createElement("li"), sr = document.createElement("span");
    li.className = cls;
    sr.className = "sr";
    sr.textContent = who + ": ";
    li.appendChild(sr);
    li.appendChild(document.createTextNode(text));
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    return li;
  }
  function seen(id) {
    if (id > newest) newest = id;
    if (!panel.hidden && newest > (state.seen || "")) { state.seen = newest; save(); }
  }
  function showBadge() { badge.textContent = unread; badge.hidden = unread === 0; }

  function onMessage(f) {
    if (ids[f.id]) return;
    ids[f.id] = 1;
    if (f.client_id && mine[f.client_id]) { delivered(f.client_id); seen(f.id); return; }
    var me = f.sender === "user";
    var li = add(me ? "me" : "them", me ? "You" : f.sender === "agent" ? "Agent" : "Reply", f.text);
    if (f.sender) li.setAttribute("data-sender", f.sender);
    if (f.client_id) mine[f.client_id] = li;
    if (!me && panel.hidden && f.id > (state.seen || "")) { unread++; showBadge(); }
    seen(f.id);
  }
  function delivered(cid) {
    delete pending[cid];
    mine[cid].classList.remove("pending");
  }
  function onFrame(f) {
    switch (f.type) {
      case "session": state.token = f.token; save(); break;
      case "message": onMessage(f); break;
      case "ready": ready = true; attempt = 0; setStatus(""); Object.keys(pending).forEach(transmit); break;
      case "ack":
        if (f.message_id) { ids[f.message_id] = 1; seen(f.message_id); }
        if (mine[f.id]) delivered(f.id);
        break;
      case "error":
        if (f.id && pending[f.id]) {
          if (f.code === "rate_limited" || f.code === "internal") { setTimeout(function () { transmit(f.id); }, 3000); return; }
          delete pending[f.id];
          mine[f.id].classList.add("failed");
          mine[f.id].title = f.message;
        }
        setStatus(f.message || "Something went wrong.");
    }
  }

  function connect() {
    clearTimeout(timer);
    started = true;
    var url = wsURL + "?token=" + encodeURIComponent(state.token || "") + (newest ? "&after=" + encodeURIComponent(newest) : "");
    var sock = ws = new WebSocket(url);
    sock.onmessage = function (e) { var f; try { f = JSON.parse(e.data); } catch (x) { return; } if (f && sock === ws) onFrame(f); };
    sock.onclose = function (e) {
      if (sock !== ws) return;
      ws = null; ready = false;
      if (e.code === 1008) { setStatus("The chat is closed."); return; } // channel deleted, disconnected or origin refused
      setStatus("Reconnecting…");
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt++));
      timer = setTimeout(connect, delay / 2 + Math.random() * delay / 2);
    };
  }
  function transmit(cid) {
    if (ws && ready && pending[cid]) ws.send(JSON.stringify({ type: "message", id: cid, text: pending[cid] }));
  }
  function newID() {
    var b = new Uint8Array(16), s = "";
    crypto.getRandomValues(b);
    for (var i = 0; i < b.length; i++) s += (b[i] + 256).toString(16).slice(1);
    return s;
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.querySelector(".sr").textContent = "Close chat";
    unread = 0; showBadge(); seen(newest);
    if (!started) { setStatus("Connecting…"); connect(); }
    input.focus();
  }
  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.querySelector(".sr").textContent = "Open chat";
    launcher.focus();
  }
  launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  $(".close").addEventListener("click", close);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { e.preventDefault(); close(); } });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    var cid = newID();
    mine[cid] = add("me pending", "You", text);
    pending[cid] = text;
    transmit(cid);
    if (!started) connect();
  });

  function mount() {
    document.body.appendChild(host);
    if (script.getAttribute("data-open") === "true") open();
    else if (state.token) connect(); // a returning visitor: show the history and count what is unread
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
