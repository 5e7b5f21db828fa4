/* The recipient's signature on a delivery: drawn with a finger on a canvas, put into the form's
   hidden file input (signature.png) when the form is sent. No signature drawn: nothing is sent. */
(function () {
  "use strict";
  document.querySelectorAll("canvas[data-signature-pad]").forEach(function (canvas) {
    var input = document.getElementById(canvas.getAttribute("data-signature-pad"));
    var form = canvas.closest("form");
    var ctx = canvas.getContext("2d");
    var drawing = false, drawn = false;
    function fit() {
      var w = canvas.clientWidth;
      if (w && canvas.width !== w) { canvas.width = w; }
      ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
    }
    fit();
    function at(e) {
      var r = canvas.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top];
    }
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true; var p = at(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]); canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return; var p = at(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true;
      canvas.dataset.drawn = "1";
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (t) {
      canvas.addEventListener(t, function () { drawing = false; });
    });
    var clear = form.querySelector("[data-signature-clear]");
    if (clear) clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; input.value = "";
      canvas.dataset.drawn = "";
    });
    form.addEventListener("submit", function (e) {
      // offline-form.js sends the form through the outbox and takes the drawing itself
      if (form.dataset.offlineActive || !drawn || !input || typeof DataTransfer !== "function") return;
      e.preventDefault();
      canvas.toBlob(function (blob) {
        var dt = new DataTransfer();
        dt.items.add(new File([blob], "signature.png", { type: "image/png" }));
        input.files = dt.files;
        drawn = false;
        form.submit();
      }, "image/png");
    });
  });
})();
