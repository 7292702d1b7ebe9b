// Wharf's web UI: the only script besides htmx. Pages work without it; it adds the copy buttons.
(function () {
  "use strict";
  function reveal(root) {
    root.querySelectorAll("button.copy[hidden]").forEach(function (b) {
      if (navigator.clipboard) { b.hidden = false; }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
  document.addEventListener("htmx:afterSwap", function (e) { reveal(e.target); });
  document.addEventListener("click", function (e) {
    var b = e.target.closest("button.copy");
    if (!b) { return; }
    var code = b.parentElement.querySelector("code");
    navigator.clipboard.writeText(code.textContent.trim()).then(function () {
      b.textContent = "Copied";
      b.classList.add("done");
      setTimeout(function () { b.textContent = "Copy"; b.classList.remove("done"); }, 1500);
    }, function () { b.textContent = "Select and copy"; });
  });
})();
