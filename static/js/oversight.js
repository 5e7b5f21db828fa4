/* Small behaviours of the oversight pages, without inline script (CSP-ready). */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (el) {
    el.addEventListener("click", function (e) { e.preventDefault(); window.print(); });
  });
})();
