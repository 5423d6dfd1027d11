// The console's own script: sign out an unattended desk, and put the keyboard where an update appeared.
(function () {
  "use strict";
  var body = document.body;
  var idleSeconds = parseInt(body.getAttribute("data-idle-seconds") || "0", 10);
  var idleUrl = body.getAttribute("data-idle-url");
  var timer = null;
  function restart() {
    if (!idleSeconds || !idleUrl) { return; }
    if (timer) { clearTimeout(timer); }
    // The server ends the session at the same moment; leaving the page hides the customer's data from the screen.
    timer = setTimeout(function () { window.location.assign(idleUrl); }, idleSeconds * 1000);
  }
  restart();
  document.addEventListener("htmx:afterRequest", restart);
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var focus = target && target.querySelector("[data-autofocus]");
    if (focus) { focus.focus(); }
  });
})();
