// Keyboard shortcuts of the inbox. Every move is also a link or a button
// on the page (and works without JavaScript); the shortcuts only reach
// them faster. They never fire while the person types in a field, nor
// with Ctrl, Alt or Meta held.
//
//   j / k    next / previous conversation of the list
//   o, Enter open the selected conversation
//   r        focus the answer field
//   t        take over            b  hand back to the bot
//   e        end (its confirmation page)
//   u        back to the inbox    ?  show the list of shortcuts
(function () {
  "use strict";

  function typing(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function items() {
    return Array.prototype.slice.call(document.querySelectorAll("a[data-inbox-item]"));
  }

  // The selected conversation: the focused link, else the one open beside
  // the list.
  function selected(list) {
    var i = list.indexOf(document.activeElement);
    if (i >= 0) { return i; }
    for (var j = 0; j < list.length; j++) {
      if (list[j].getAttribute("aria-current") === "page") { return j; }
    }
    return -1;
  }

  function move(step) {
    var list = items();
    if (list.length === 0) { return; }
    var i = selected(list), open = list.some(function (a) { return a.getAttribute("aria-current") === "page"; });
    var next = i < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(Math.max(i + step, 0), list.length - 1);
    if (open && document.activeElement !== list[i]) {
      // A conversation is open: j and k open its neighbour.
      if (next !== i) { window.location.href = list[next].href; }
      return;
    }
    list[next].focus();
  }

  function shortcut(key) {
    return document.querySelector("[data-shortcut='" + key + "']");
  }

  function press(key) {
    var el = shortcut(key);
    if (!el) { return false; }
    if (el.tagName === "FORM") {
      if (el.requestSubmit) { el.requestSubmit(); } else { el.submit(); }
    } else if (el.tagName === "A") {
      el.click();
    } else {
      el.focus();
    }
    return true;
  }

  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey || typing(e.target)) {
      if (e.key === "Escape" && typing(e.target)) { e.target.blur(); }
      return;
    }
    var done = true;
    switch (e.key) {
    case "j": move(1); break;
    case "k": move(-1); break;
    case "o":
      var list = items(), i = selected(list);
      if (i >= 0) { list[i].click(); } else { done = false; }
      break;
    case "?":
      var help = document.getElementById("shortcuts");
      if (help) {
        help.open = !help.open;
        if (help.open) { help.querySelector("summary").focus(); }
      }
      break;
    case "r": case "t": case "b": case "e": case "u":
      done = press(e.key);
      break;
    default:
      done = false;
    }
    if (done) { e.preventDefault(); }
  });
})();
