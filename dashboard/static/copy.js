// Copy buttons: a button with data-copy="ID" copies the value of the
// control with that id. The buttons are hidden until this script shows
// them: without JavaScript the value is selectable text in a read-only
// field.
(function () {
  "use strict";
  if (!navigator.clipboard) { return; }
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (btn) {
    var target = document.getElementById(btn.getAttribute("data-copy"));
    if (!target) { return; }
    btn.hidden = false;
    btn.addEventListener("click", function () {
      navigator.clipboard.writeText(target.value).then(function () {
        btn.textContent = "Copied";
        window.setTimeout(function () { btn.textContent = "Copy"; }, 2000);
      }, function () {
        target.select();
      });
    });
  });
})();
