/* A campaign's delivery or water delivery form that works without a network, like the visit
   form (docs/offline.md): each opening of the page is a new attempt with its own client_token
   (minted here, so a copy of the page kept on the phone never replays the token it was made
   with); saving puts the entry into the outbox (care-outbox.js) and, online, sends it at once;
   without a network it waits as 待上传 and care-offline.js sends it when the network is back.
   The server stores a token once, so any number of resends store one record. */
(function () {
  "use strict";
  var O = window.CareOutbox;
  var form = document.querySelector("form[data-offline-form]");
  var userMeta = document.querySelector('meta[name="care-user"]');
  var user = userMeta ? userMeta.content : "";
  if (!form || !O || !window.indexedDB || !user) return;  // without them the form posts as a page
  var tokenInput = form.querySelector('input[name="client_token"]');
  if (!tokenInput) return;
  form.dataset.offlineActive = "1";
  var button = form.querySelector("button:not([type=button])");
  var canvas = form.querySelector("canvas[data-signature-pad]");
  var notice = null;

  function mint() { tokenInput.value = O.newToken(); }
  mint();

  function say(text, kind) {
    if (!notice) {
      notice = document.createElement("div");
      notice.setAttribute("role", "status");
      notice.dataset.testid = "offline-form-state";
      form.parentNode.insertBefore(notice, form);
    }
    notice.className = "alert alert-" + (kind || "info") + " py-2";
    notice.textContent = text;
  }

  function clearErrors() {
    form.querySelectorAll("[data-offline-error]").forEach(function (el) { el.remove(); });
    form.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
  }

  function showErrors(errors) {
    clearErrors();
    var general = [];
    Object.keys(errors).forEach(function (name) {
      var input = form.querySelector('[name="' + name + '"]');
      var text = errors[name].join("");
      if (!input || input.type === "hidden" || input.hidden) { general.push(text); return; }
      input.classList.add("is-invalid");
      var div = document.createElement("div");
      div.className = "invalid-feedback d-block";
      div.dataset.offlineError = "";
      div.textContent = text;
      input.insertAdjacentElement("afterend", div);
    });
    say("未保存：" + (general.length ? general.join("；") : "请按提示修改。"), "danger");
  }

  function signature() {
    if (!canvas || canvas.dataset.drawn !== "1") return Promise.resolve(null);
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/png"); });
  }

  function fields() {
    var out = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrfmiddlewaretoken") out.push([name, value]);
    });
    return out;
  }

  /* Saved on the phone, not yet on the server: the form is emptied for the next one (a new
     attempt, a new token). */
  function waiting(status) {
    form.reset();
    if (canvas) {
      canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
      canvas.dataset.drawn = "";
    }
    mint();
    say(status === "login" ? "已存在本机：登录已过期，重新登录后自动上传。"
      : "已存在本机，待上传：联网后自动上传。可以继续登记下一条。", "warning");
    if (window.CareOffline) window.CareOffline.refresh();
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (button) button.disabled = true;
    clearErrors();
    var photos = [];
    var photo = form.querySelector('input[type=file][name="photo"]');
    if (photo && photo.files && photo.files.length) {
      photos.push({ field: "photo", blob: photo.files[0], name: photo.files[0].name || "photo.jpg" });
    }
    var token = tokenInput.value;
    signature().then(function (blob) {
      if (blob) photos.push({ field: "signature", blob: blob, name: "signature.png" });
      var entry = {
        token: token, user: String(user), url: location.pathname, kind: form.dataset.offlineForm,
        householdName: form.dataset.offlineLabel || "", fields: fields(), photos: photos,
        status: "queued", createdAt: Date.now(),
      };
      return O.put(entry);
    }).then(function () {
      if (!navigator.onLine || !window.CareOffline) return null;
      window.CareOffline.quiet(token);
      return window.CareOffline.flush();
    }).then(function (result) {
      return O.get(token).then(function (entry) {
        if (button) button.disabled = false;
        if (!entry) {
          var mine = ((result && result.stored) || []).filter(function (s) { return s.token === token; })[0];
          var json = (mine && mine.json) || {};
          if (json.message && window.CareOffline) window.CareOffline.flash(json.message);
          location.assign(json.redirect || location.pathname);
          return;
        }
        if (entry.status === "invalid") {
          // refused while online: nothing was stored; the same attempt is corrected and sent again
          return O.remove(token).then(function () {
            showErrors(entry.errors || {});
            if (window.CareOffline) window.CareOffline.refresh();
          });
        }
        if (entry.status === "gone") {
          return O.remove(token).then(function () { say("未保存：该户不在您的范围内。", "danger"); });
        }
        waiting(entry.status);
      });
    }).catch(function () {
      if (button) button.disabled = false;
      say("本机无法保存，请稍后再试。", "danger");
    });
  });
})();
