/* The visit form on the phone. See docs/offline.md.
   - a client_token minted per attempt here (never restored from a draft);
   - a draft of what was typed, per household, in IndexedDB; removed when the visit is in the
     outbox and, for the plain form post, when the server confirms it (?saved=<token>);
   - saving puts the visit into the outbox (photos resized to ≤1600 px JPEG), then sends it at once
     when there is a network, with upload progress and the button disabled;
   - device capture time and, when the cadre allows it, the position. */
(function () {
  "use strict";
  var form = document.getElementById("visit-form");
  var O = window.CareOutbox;
  var script = document.currentScript;
  if (!form || !O || !window.indexedDB) return;
  var cfg = script.dataset;
  var user = (window.CareOffline && window.CareOffline.user) || "";
  var household = cfg.household;
  var LONG_SIDE = 1600;
  var LATE_GRACE_DAYS = 1;  // visits.rules.LATE_ENTRY_GRACE_DAYS
  var SKIP = ["csrfmiddlewaretoken", "client_token", "photos", "captured_at", "geo_status", "geo_lat", "geo_lng",
    "geo_accuracy_m"];
  var button = form.querySelector('button[type="submit"]');
  var buttonText = button.textContent;
  var tokenInput = form.querySelector('[name="client_token"]');
  var photoInput = form.querySelector('input[type="file"][name="photos"]');
  var hasErrors = !!form.querySelector(".is-invalid, .invalid-feedback, .alert-danger");
  var photos = [];      // resized blobs waiting to be saved with the visit
  var resizing = Promise.resolve();
  var busy = false;

  // A new attempt each time the form opens. A form the server sent back with errors is the
  // same attempt (nothing was stored), so it keeps the token it was posted with.
  var token = hasErrors && tokenInput && tokenInput.value ? tokenInput.value : O.newToken();
  if (tokenInput) tokenInput.value = token;

  /* Dates are the server's: Asia/Shanghai, on the server's clock. A cheap phone's clock may be
     days off or set to another time zone; the server judges the visit date against its own today
     on save, so the phone only estimates that day (its clock corrected by the offset measured
     on the last page that came from the server) and warns, never refuses, when its clock is off
     by more than a day. A form kept days ago still says that day: the estimate moves it on. */
  var DAY_MS = 86400000;
  var TZ = "Asia/Shanghai";
  var SKEW_KEY = "care-clock-skew";
  function clockSkew() {
    var serverNow = Number(cfg.serverNow || 0) * 1000;
    // Offline, this page may be a copy kept days ago: its server time is not "now".
    if (serverNow && navigator.onLine) {
      var measured = serverNow - Date.now();
      try { localStorage.setItem(SKEW_KEY, String(measured)); } catch (e) { /* private window */ }
      return measured;
    }
    return Number(localStorage.getItem(SKEW_KEY)) || 0;
  }
  var skew = clockSkew();
  function shanghaiDay(ms) {
    try {
      return new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit" })
        .format(new Date(ms));
    } catch (e) {
      return new Date(ms + 8 * 3600000).toISOString().slice(0, 10);
    }
  }
  function serverToday() { return shanghaiDay(Date.now() + skew); }
  var visitedOn = form.querySelector('[name="visited_on"]');
  var renderedMax = visitedOn ? visitedOn.max : "";
  // The latest date the phone lets through: the server's today when the page was made, or the
  // estimate of it now (a kept page), whichever is later. The server has the last word.
  function latestDay() {
    var est = serverToday();
    return renderedMax && renderedMax > est ? renderedMax : est;
  }
  if (visitedOn) {
    var estToday = serverToday();
    visitedOn.max = latestDay();
    if (!hasErrors && visitedOn.defaultValue && visitedOn.defaultValue < estToday) visitedOn.value = estToday;
  }

  function $(sel, el) { return (el || document).querySelector(sel); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  // --- fields ------------------------------------------------------------------------------
  function fields() {
    var out = [];
    new FormData(form).forEach(function (v, k) {
      if (SKIP.indexOf(k) < 0 && typeof v === "string") out.push([k, v]);
    });
    return out;
  }

  function fill(pairs) {
    var byName = {};
    pairs.forEach(function (kv) { (byName[kv[0]] = byName[kv[0]] || []).push(kv[1]); });
    Object.keys(byName).forEach(function (name) {
      if (SKIP.indexOf(name) >= 0) return;
      form.querySelectorAll('[name="' + name + '"]').forEach(function (input) {
        if (input.type === "checkbox" || input.type === "radio") input.checked = byName[name].indexOf(input.value) >= 0;
        else input.value = byName[name][0];
      });
    });
  }

  // --- notices above the form -----------------------------------------------------------------
  var notices = el("div", "d-print-none");
  form.parentNode.insertBefore(notices, form);
  function notice(text, kind, testid) {
    var div = el("div", "alert alert-" + (kind || "info") + " small py-2", text);
    if (testid) div.dataset.testid = testid;
    notices.appendChild(div);
    return div;
  }

  // --- draft ---------------------------------------------------------------------------------
  var draftTimer = null;
  function saveDraft() {
    clearTimeout(draftTimer);
    draftTimer = setTimeout(function () { O.saveDraft(user, household, token, fields()); }, 300);
  }

  function restore() {
    if (hasErrors) return Promise.resolve();
    var fromOutbox = (location.hash.match(/^#outbox=([0-9a-f-]+)$/) || [])[1];
    if (fromOutbox) {
      // An entry the server refused (400): back into the form to be corrected. It was not
      // stored, so the corrected visit keeps that attempt's token.
      return O.get(fromOutbox).then(function (entry) {
        if (!entry || String(entry.user) !== String(user) || entry.status !== "invalid") return;
        fill(entry.fields);
        token = entry.token;
        if (tokenInput) tokenInput.value = token;
        var msgs = Object.keys(entry.errors || {}).map(function (k) { return entry.errors[k].join(""); });
        notice("这条走访未能上传，请修改后重新保存：" + msgs.join("；"), "warning", "outbox-fix");
        showErrors(entry.errors || {});
        // From here it is a draft of this form (kept if the cadre leaves before saving).
        return O.saveDraft(user, household, token, fields()).then(function () { return O.remove(entry.token); });
      });
    }
    return O.getDraft(user, household).then(function (draft) {
      if (!draft || !draft.fields || !draft.fields.length) return;
      fill(draft.fields);
      var when = new Date(draft.savedAt);
      var n = notice("已恢复上次未保存的内容（" + when.toLocaleString("zh-CN", { hour12: false }) + "）。", "secondary", "draft-restored");
      var clear = el("button", "btn btn-link btn-sm p-0 ms-2 align-baseline", "清空重填");
      clear.type = "button";
      clear.addEventListener("click", function () {
        O.removeDraft(user, household).then(function () { location.reload(); });
      });
      n.appendChild(clear);
    });
  }

  function pending() {
    return O.list(user).then(function (entries) {
      var mine = entries.filter(function (e) { return String(e.householdId) === String(household) && e.token !== token; });
      if (mine.length) {
        notice("该户有 " + mine.length + " 条走访已保存在本机、待上传。现在填写的是一次新的走访。", "info", "household-pending");
      }
    });
  }

  // --- photos: resized in the browser, long side ≤ 1600 px, JPEG -----------------------------
  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () { return decodeImg(file); });
    }
    return decodeImg(file);
  }
  function decodeImg(file) {
    return new Promise(function (resolve, reject) {
      var img = new Image();
      var url = URL.createObjectURL(file);
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("decode")); };
      img.src = url;
    });
  }
  function resize(file) {
    return decode(file).then(function (img) {
      var w = img.width, h = img.height, s = Math.min(1, LONG_SIDE / Math.max(w, h));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(w * s);
      canvas.height = Math.round(h * s);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.85); }).then(function (blob) {
        return { field: "photos", name: (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg", blob: blob,
          width: canvas.width, height: canvas.height };
      });
    });
  }
  var photoInfo = null;
  if (photoInput) {
    photoInfo = el("div", "form-text", "");
    photoInfo.dataset.testid = "photo-info";
    photoInput.parentNode.appendChild(photoInfo);
    photoInput.addEventListener("change", function () {
      var files = Array.prototype.slice.call(photoInput.files || []);
      photoInfo.textContent = files.length ? "正在压缩照片…" : "";
      resizing = Promise.all(files.map(function (f) {
        return resize(f).catch(function () { return null; });
      })).then(function (out) {
        var bad = out.filter(function (p) { return !p; }).length;
        photos = out.filter(Boolean);
        var kb = Math.round(photos.reduce(function (a, p) { return a + p.blob.size; }, 0) / 1024);
        photoInfo.textContent = photos.length ? "照片 " + photos.length + " 张，压缩后共 " + kb + " KB" : "";
        if (bad) photoInfo.textContent += "；" + bad + " 张无法读取，请换一张";
      });
    });
  }

  // --- place and time ------------------------------------------------------------------------
  var geo = { status: "not_asked" };
  var geoDone = Promise.resolve();
  var geoSwitch = el("div", "form-check form-switch mb-3");
  geoSwitch.innerHTML = '<input class="form-check-input" type="checkbox" role="switch" id="geo-allow">' +
    '<label class="form-check-label" for="geo-allow">记录走访位置（仅用于抽查核实，不向其他干部显示）</label>';
  button.parentNode.insertBefore(geoSwitch, button);
  var geoAllow = $("#geo-allow", geoSwitch);
  geoAllow.checked = localStorage.getItem("care-geo") !== "off";
  function locate() {
    if (!geoAllow.checked) { geo = { status: "not_asked" }; geoDone = Promise.resolve(); return; }
    if (!navigator.geolocation || !window.isSecureContext) { geo = { status: "unavailable" }; geoDone = Promise.resolve(); return; }
    geo = { status: "pending" };
    geoDone = new Promise(function (resolve) {
      navigator.geolocation.getCurrentPosition(function (pos) {
        geo = { status: "ok", lat: pos.coords.latitude, lng: pos.coords.longitude, acc: pos.coords.accuracy };
        resolve();
      }, function (err) {
        geo = { status: err && err.code === 1 ? "denied" : "unavailable" };
        resolve();
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 300000 });
    });
  }
  geoAllow.addEventListener("change", function () {
    localStorage.setItem("care-geo", geoAllow.checked ? "on" : "off");
    locate();
  });
  locate();

  function within(promise, ms) {
    return Promise.race([promise, new Promise(function (r) { setTimeout(r, ms); })]);
  }

  function isoNow() {
    var d = new Date(), off = -d.getTimezoneOffset(), sign = off >= 0 ? "+" : "-";
    function p(n) { return String(Math.floor(Math.abs(n))).padStart(2, "0"); }
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" + p(d.getHours()) + ":" +
      p(d.getMinutes()) + ":" + p(d.getSeconds()) + sign + p(off / 60) + ":" + p(off % 60);
  }

  // --- errors ----------------------------------------------------------------------------------
  function clearErrors() {
    form.querySelectorAll("[data-client-error]").forEach(function (e) { e.remove(); });
  }
  function showErrors(errors) {
    clearErrors();
    var general = [];
    Object.keys(errors).forEach(function (name) {
      var msg = errors[name].join("");
      var input = name === "__all__" ? null : form.querySelector('[name="' + name + '"]');
      if (!input) { general.push(msg); return; }
      var box = input.closest(".mb-3, .mb-2") || input.parentNode;
      var div = el("div", "invalid-feedback d-block", msg);
      div.dataset.clientError = "1";
      box.appendChild(div);
    });
    if (general.length) {
      var alert = el("div", "alert alert-danger", general.join("；"));
      alert.dataset.clientError = "1";
      alert.setAttribute("data-testid", "form-errors");
      form.insertBefore(alert, form.firstChild);
    }
    var first = form.querySelector("[data-client-error]");
    if (first) first.scrollIntoView({ block: "center" });
  }
  function check() {
    var errors = {};
    var on = form.querySelector('[name="visited_on"]');
    var today = serverToday();
    if (on && on.value) {
      if (on.value > latestDay()) errors.visited_on = ["走访日期不能晚于今天。"];
      var days = (new Date(today) - new Date(on.value)) / 86400000;
      var reason = form.querySelector('[name="late_reason"]');
      if (days > LATE_GRACE_DAYS && reason && !reason.value.trim()) {
        errors.late_reason = ["走访日期早于昨天，属于补录，请填写补录说明。"];
      }
    }
    if (Object.keys(errors).length) { showErrors(errors); return false; }
    return form.reportValidity();
  }

  // --- saving --------------------------------------------------------------------------------
  var bar = el("div", "progress mt-2 d-none");
  bar.setAttribute("role", "progressbar");
  bar.setAttribute("aria-label", "上传进度");
  bar.dataset.testid = "upload-progress";
  var barInner = el("div", "progress-bar bg-success");
  bar.appendChild(barInner);
  button.parentNode.insertBefore(bar, button.nextSibling);
  function setBusy(text, fraction) {
    button.disabled = true;
    button.textContent = text;
    bar.classList.toggle("d-none", fraction === undefined);
    barInner.style.width = Math.round((fraction || 0) * 100) + "%";
  }
  function idle() {
    busy = false;
    button.disabled = false;
    button.textContent = buttonText;
    bar.classList.add("d-none");
  }

  /* Background Sync, where the browser has it: the worker sends the outbox when the network
     is back, even with the app closed. Elsewhere care-offline.js sends on `online` and on open. */
  function syncLater() {
    if ("serviceWorker" in navigator && window.SyncManager) {
      navigator.serviceWorker.ready.then(function (reg) { return reg.sync.register("care-outbox"); }).catch(function () {});
    }
  }

  // Where the server's own redirect goes: a cadre to 我的结对户, an official to the household.
  var doneUrl = (cfg.roles || "").split(" ").indexOf("cadre") >= 0 ? cfg.mineUrl : cfg.timelineUrl;

  function leave(text, kind, query) {
    window.CareOffline.flash(text, kind);
    location.href = doneUrl + (query || "");
  }

  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (busy) return;
    clearErrors();
    if (!check()) return;
    busy = true;
    setBusy("正在保存…");
    var capturedAt = isoNow();
    var queued = false;
    Promise.all([resizing, within(geoDone, 3000)]).then(function () {
      var extra = [["captured_at", capturedAt], ["geo_status", geo.status === "pending" ? "unavailable" : geo.status]];
      if (geo.status === "ok") {
        extra.push(["geo_lat", geo.lat.toFixed(6)], ["geo_lng", geo.lng.toFixed(6)], ["geo_accuracy_m", String(Math.round(geo.acc))]);
      }
      var entry = {
        token: token, user: String(user), householdId: household, householdName: cfg.householdName,
        url: form.getAttribute("action") || location.pathname, fields: fields().concat(extra),
        photos: photos, createdAt: Date.now(), status: "queued", attempts: 0,
      };
      clearTimeout(draftTimer);
      return O.put(entry).then(function () { queued = true; return O.removeDraft(user, household); }).then(function () {
        window.CareOffline.refresh();
        if (!navigator.onLine) {
          syncLater();
          return leave("没有网络：" + cfg.householdName + " 的走访已保存在本机（待上传），联网后自动上传。", "warning");
        }
        setBusy("正在上传…", 0);
        return O.withLock(function () {
          return O.send(entry, {
            csrf: (form.querySelector('[name="csrfmiddlewaretoken"]') || {}).value,
            onProgress: function (f) { setBusy("正在上传 " + Math.round(f * 100) + "%", f); },
          });
        }).then(function (out) {
          if (out.kind === "stored") {
            return O.confirmed(token).then(function () {
              leave(out.json.message || "走访记录已保存。", "success", "?saved=" + encodeURIComponent(token));
            });
          }
          if (out.kind === "invalid") {
            // Not stored: back to the form (the same attempt), what was typed kept as the draft.
            return O.remove(token).then(function () { return O.saveDraft(user, household, token, fields()); })
              .then(function () { window.CareOffline.refresh(); idle(); showErrors(out.errors); });
          }
          if (out.kind === "login") {
            entry.status = "login";
            return O.put(entry).then(function () {
              setBusy("已存入待上传");
              var n = notice("登录已过期。这次走访已保存在本机（待上传），请重新登录，登录后自动上传。", "warning", "login-needed");
              var a = el("a", "alert-link ms-1", "去登录");
              a.href = cfg.loginUrl + "?next=" + encodeURIComponent(cfg.mineUrl);
              n.appendChild(a);
              n.scrollIntoView({ block: "center" });
            });
          }
          if (out.kind === "gone") {
            entry.status = "gone";
            return O.put(entry).then(function () {
              leave("该户已不在您的结对名单中。走访已保存在本机，请联系乡镇。", "danger");
            });
          }
          syncLater();
          return leave("网络不稳定：" + cfg.householdName + " 的走访已保存在本机（待上传），将自动重试。", "warning");
        });
      });
    }).catch(function (err) {
      if (!queued && navigator.onLine) return nativeSubmit(capturedAt);
      idle();
      notice("保存失败：" + (err && err.message ? err.message : err) + "。内容仍在表单中，请再试一次。", "danger");
    });
  });

  /* This browser cannot keep the outbox (IndexedDB refused, e.g. a private window): post the
     form as a page, as without JavaScript — the server answers with ?saved=<token>. */
  function nativeSubmit(capturedAt) {
    [["captured_at", capturedAt], ["geo_status", geo.status === "ok" ? "ok" : (geo.status === "pending" ? "unavailable" : geo.status)]]
      .forEach(function (kv) {
        var input = el("input");
        input.type = "hidden";
        input.name = kv[0];
        input.value = kv[1];
        form.appendChild(input);
      });
    if (geo.status === "ok") {
      [["geo_lat", geo.lat.toFixed(6)], ["geo_lng", geo.lng.toFixed(6)], ["geo_accuracy_m", String(Math.round(geo.acc))]]
        .forEach(function (kv) {
          var input = el("input");
          input.type = "hidden";
          input.name = kv[0];
          input.value = kv[1];
          form.appendChild(input);
        });
    }
    if (photoInput && photos.length && window.DataTransfer) {
      var files = new DataTransfer();
      photos.forEach(function (p) { files.items.add(new File([p.blob], p.name, { type: "image/jpeg" })); });
      photoInput.files = files.files;
    }
    setBusy("正在保存…");
    HTMLFormElement.prototype.submit.call(form);
  }

  // --- the phone's clock ------------------------------------------------------------------------
  function clockWarning() {
    var phoneDay = isoNow().slice(0, 10);
    var est = serverToday();
    var days = Math.round(Math.abs(skew) / DAY_MS);
    var text = "";
    if (Math.abs(skew) > DAY_MS) {
      text = "手机时间与服务器相差约 " + days + " 天（手机：" + phoneDay + "，北京时间：" + est + "）。" +
        "走访日期以北京时间为准，请在手机设置中校准日期和时间。";
    } else if (phoneDay !== est) {
      text = "手机的时区不是北京时间（手机：" + phoneDay + "，北京时间：" + est + "）。走访日期以北京时间为准。";
    }
    if (text) notice(text, "warning", "clock-warning");
  }
  clockWarning();

  restore().then(pending);
})();
