/* The API reference page: Redoc (from the drf-spectacular-sidecar wheel) on the schema named by
   #redoc's data-schema-url, with the Chinese labels of #redoc-labels (a JSON data block written by
   the template). A static file, so the Content-Security-Policy needs no inline script. */
(function () {
  "use strict";
  var el = document.getElementById("redoc");
  if (!el || !window.Redoc) return;
  var font = '"Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
  var labelsEl = document.getElementById("redoc-labels");
  var labels = labelsEl ? JSON.parse(labelsEl.textContent) : {};
  window.Redoc.init(el.dataset.schemaUrl, {
    hideDownloadButton: true,
    expandResponses: "200,201",
    labels: labels,
    theme: {typography: {fontFamily: font, headings: {fontFamily: font}}}
  }, el);
})();
