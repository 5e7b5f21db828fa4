/* Every page: the service worker, the 待上传 badge, sending the outbox when the network is back,
   keeping the cadre's pages for offline use (on 我的结对户) and removing them at logout.
   See docs/offline.md. Configuration comes from data-* attributes of this script's tag. */
(function () {
  "use strict";
  var O = window.CareOutbox;
  var script = document.currentScript;
  var cfg = script ? script.dataset : {};
  var PAGES_CACHE = "care-pages";
  var userMeta = document.querySelector('meta[name="care-user"]');
  var user = userMeta ? userMeta.content : "";
  var retryDelay = 2000;
  var retryTimer = null;
  var flushing = null;

  if (!O || !window.indexedDB) return;
  O.configure({ mineUrl: cfg.mineUrl, loginUrl: cfg.loginUrl });

  function $(sel, el) { return (el || document).querySelector(sel); }
  function isMine() { return location.pathname === cfg.mineUrl; }
  /* A page that keeps itself and the forms it links to for offline use: 我的结对户, or a page
     with a [data-offline-keep] list (the campaigns' delivery and water forms). */
  function keepList() { return isMine() ? $('[data-testid="my-households"]') : $("[data-offline-keep]"); }
  function hasCaches() { return typeof window.caches !== "undefined"; }

  // --- flash messages that survive one navigation (sessionStorage, no personal data beyond a name)
  function flash(text, kind) {
    var list = JSON.parse(sessionStorage.getItem("care-flash") || "[]");
    list.push({ text: text, kind: kind || "success" });
    sessionStorage.setItem("care-flash", JSON.stringify(list));
  }
  function showAlert(text, kind, testid) {
    var main = $("main");
    if (!main) return null;
    var div = document.createElement("div");
    div.className = "alert alert-" + (kind || "info") + " d-print-none";
    div.setAttribute("role", "alert");
    if (testid) div.dataset.testid = testid;
    div.textContent = text;
    main.insertBefore(div, main.firstChild);
    return div;
  }
  function showFlashes() {
    var list = JSON.parse(sessionStorage.getItem("care-flash") || "[]");
    sessionStorage.removeItem("care-flash");
    list.forEach(function (f) { showAlert(f.text, f.kind, "flash"); });
  }

  // --- badge and the outbox panel on 我的结对户 ------------------------------------------------
  var STATUS = {
    queued: "等待网络", login: "需重新登录后上传", invalid: "需修改", gone: "该户已不在您的结对名单，请联系乡镇",
  };

  function renderPanel(entries) {
    var panel = $("#outbox-panel");
    if (!panel) return;
    $("[data-testid=outbox-count]", panel).textContent = String(waiting(entries).length);
    panel.classList.toggle("border-warning", entries.length > 0);
    var ul = $("ul", panel);
    ul.innerHTML = "";
    entries.forEach(function (e) {
      var li = document.createElement("li");
      li.className = "list-group-item small d-flex justify-content-between align-items-start gap-2";
      li.dataset.testid = "outbox-entry";
      var left = document.createElement("div");
      var visited = (e.fields.filter(function (kv) { return kv[0] === "visited_on" || kv[0] === "delivered_on"; })[0] || [])[1] || "";
      left.textContent = e.householdName + " · " + visited + (e.photos && e.photos.length ? " · 照片 " + e.photos.length + " 张" : "");
      var status = document.createElement("div");
      status.className = "text-muted";
      status.textContent = STATUS[e.status] || STATUS.queued;
      if (e.status === "invalid" && e.errors) {
        status.textContent += "：" + Object.keys(e.errors).map(function (k) { return e.errors[k].join(""); }).join("；");
      }
      left.appendChild(status);
      li.appendChild(left);
      if ((e.status === "invalid" || e.status === "gone") && e.kind && e.kind !== "visit") {
        // a delivery the server sent back (e.g. already delivered by someone else): read, then drop
        var drop = document.createElement("button");
        drop.type = "button";
        drop.className = "btn btn-sm btn-outline-secondary text-nowrap";
        drop.textContent = "删除";
        drop.addEventListener("click", function () { O.remove(e.token).then(refresh); });
        li.appendChild(drop);
      } else if (e.status === "invalid") {
        var a = document.createElement("a");
        a.className = "btn btn-sm btn-outline-secondary text-nowrap";
        a.href = e.url + "#outbox=" + e.token;
        a.textContent = "修改";
        li.appendChild(a);
      }
      ul.appendChild(li);
    });
    var sendable = entries.some(function (e) { return e.status === "queued" || e.status === "login"; });
    $("button", panel).disabled = !sendable || !navigator.onLine;
  }

  /* 待上传 counts what will really be sent (waiting for the network or for a login); a visit the
     server sent back (需修改) or refused for the household (not paired any more) stays listed in
     the panel but is not "waiting to upload": the badge says 需修改 for those. */
  function waiting(entries) {
    return entries.filter(function (e) { return e.status === "queued" || e.status === "login" || !e.status; });
  }

  function refresh() {
    if (!user) return Promise.resolve(0);
    return O.list(user).then(function (entries) {
      var n = waiting(entries).length, fix = entries.length - n;
      var badge = $("#outbox-badge");
      if (badge) {
        badge.classList.toggle("d-none", entries.length === 0);
        $("[data-outbox-count]", badge).textContent = String(n);
        var extra = $("[data-outbox-fix]", badge);
        if (!extra) {
          extra = document.createElement("span");
          extra.dataset.outboxFix = "";
          badge.appendChild(extra);
        }
        extra.textContent = fix ? " · 需处理 " + fix : "";
        // only deliveries waiting (a village committee has no 我的结对户): the badge opens their list
        var deliveriesOnly = entries.length && entries.every(function (e) { return e.kind && e.kind !== "visit"; });
        badge.href = deliveriesOnly && cfg.deliveriesUrl ? cfg.deliveriesUrl : cfg.mineUrl;
      }
      renderPanel(entries);
      return n;
    });
  }

  function buildPanel() {
    var list = keepList();
    if (!list || !user) return;
    var panel = document.createElement("div");
    panel.id = "outbox-panel";
    panel.className = "card mb-3 d-print-none";
    panel.dataset.testid = "outbox";
    panel.innerHTML =
      '<div class="card-body py-2"><div class="d-flex justify-content-between align-items-center gap-2">' +
      '<div><strong>待上传 <span data-testid="outbox-count">…</span></strong>' +
      ' <span class="small text-muted" data-testid="offline-state"></span></div>' +
      '<button type="button" class="btn btn-sm btn-outline-secondary text-nowrap">立即上传</button></div>' +
      '<div class="progress mt-2 d-none" role="progressbar" aria-label="上传进度"><div class="progress-bar bg-success"></div></div>' +
      '<ul class="list-group list-group-flush mt-1"></ul></div>';
    list.parentNode.insertBefore(panel, list);
    $("button", panel).addEventListener("click", function () { retryDelay = 2000; flush(); });
  }

  function progress(fraction) {
    var bar = $("#outbox-panel .progress");
    if (!bar) return;
    bar.classList.toggle("d-none", fraction === null);
    $(".progress-bar", bar).style.width = Math.round((fraction || 0) * 100) + "%";
  }

  // --- sending -------------------------------------------------------------------------------
  function csrfOfPage() {
    var input = $('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }

  function flush() {
    if (!user || !navigator.onLine) return Promise.resolve(null);
    if (flushing) return flushing;
    clearTimeout(retryTimer);
    flushing = O.flush({ user: user, onProgress: function (entry, f) { progress(f); } }).then(function (result) {
      flushing = null;
      progress(null);
      if (result.stored.length) {
        uploadedFlash(result.stored);
        if (keepList()) { location.replace(location.pathname); return result; }
        // an offline form page goes on to the record's page and shows the message there
        if (!$("form[data-offline-form]")) showFlashes();
      }
      if (result.retry) {
        retryTimer = setTimeout(flush, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 60000);
      } else {
        retryDelay = 2000;
      }
      if (result.login && isMine()) {
        var a = $("[data-testid=offline-state]");
        if (a) a.textContent = "登录已过期，重新登录后自动上传";
      }
      return refresh().then(function () { return result; });
    }, function (err) { flushing = null; progress(null); throw err; });
    return flushing;
  }

  /* 已上传 N 条走访：… / 已上传 N 条发放、送水记录：… (the outbox holds both since campaigns). */
  var quiet = {};  // tokens whose form page shows the server's own message (offline-form.js)
  function uploadedFlash(stored) {
    stored = stored.filter(function (s) { return !quiet[s.token]; });
    var visits = stored.filter(function (s) { return !s.kind || s.kind === "visit"; });
    var others = stored.filter(function (s) { return s.kind && s.kind !== "visit"; });
    var names = function (l) { return l.map(function (s) { return s.household; }).join("、"); };
    if (visits.length) flash("已上传 " + visits.length + " 条走访：" + names(visits));
    if (others.length) flash("已上传 " + others.length + " 条发放、送水记录：" + names(others));
  }

  function onlineState() {
    var s = $("[data-testid=offline-state]");
    if (s) s.textContent = navigator.onLine ? "" : (isMine() ? "当前离线，走访会先存在本机" : "当前离线，登记会先存在本机");
    var banner = $("#offline-banner");
    if (!navigator.onLine && !banner && user) {
      banner = showAlert("当前离线：显示的是上次联网时保存在本机的内容。走访、发放和送水可以照常记录，联网后自动上传。", "secondary", "offline-banner");
      if (banner) banner.id = "offline-banner";
    } else if (navigator.onLine && banner) {
      banner.remove();
    }
    refresh();
  }

  // --- the cadre's pages for offline use ------------------------------------------------------
  function pageKey(href) {
    var u = new URL(href, location.href);
    return u.origin + u.pathname;
  }

  function keep(urls) {
    if (!hasCaches()) return Promise.resolve(0);
    return caches.open(PAGES_CACHE).then(function (cache) {
      return Promise.all(urls.map(function (href) {
        return fetch(href, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
          var html = (r.headers.get("Content-Type") || "").indexOf("text/html") === 0;
          if (r.ok && !r.redirected && html) return cache.put(pageKey(href), r).then(function () { return 1; });
          return 0;
        }, function () { return 0; });
      }));
    }).then(function (done) { return done.reduce(function (a, b) { return a + b; }, 0); });
  }

  function keepMine() {
    if (!keepList() || !navigator.onLine) return;
    var urls = [location.pathname];
    var links = isMine() ? '[data-testid="household-row"][href]' : "[data-offline-keep-link][href]";
    document.querySelectorAll(links).forEach(function (a) { urls.push(a.href); });
    var ready = "serviceWorker" in navigator ? navigator.serviceWorker.ready : Promise.resolve();
    keep(urls).then(function (n) {
      return ready.then(function () {
        var s = $("[data-testid=offline-state]");
        var kept = n - 1 > 0 ? n - 1 : 0;
        if (s && navigator.onLine) s.textContent = isMine() ? "已保存 " + kept + " 户走访表，离线可用" : "已保存 " + kept + " 张登记表，离线可用";
        document.documentElement.dataset.offlineReady = String(n);
      });
    });
  }

  /* Personal pages belong to one signed-in user: another user, or nobody, wipes them. */
  function ownPages() {
    var owner = localStorage.getItem("care-pages-owner") || "";
    if (owner === user) return Promise.resolve();
    var wipe = hasCaches() ? caches.delete(PAGES_CACHE) : Promise.resolve();
    return wipe.then(function () {
      if (user) localStorage.setItem("care-pages-owner", user);
      else localStorage.removeItem("care-pages-owner");
    });
  }

  function guardLogout() {
    document.querySelectorAll('form[action="' + cfg.logoutUrl + '"]').forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (form.dataset.cleared) return;
        ev.preventDefault();
        O.count(user).then(function (n) {
          if (n && !window.confirm("还有 " + n + " 条走访待上传。退出后它们留在本机，您下次登录时自动上传。确定退出？")) return;
          var wipe = hasCaches() ? caches.delete(PAGES_CACHE) : Promise.resolve();
          return wipe.then(function () {
            return O.removeDraftsOf(function (d) { return d.user === String(user); });
          }).then(function () {
            localStorage.removeItem("care-pages-owner");
            form.dataset.cleared = "1";
            form.submit();
          });
        });
      });
    });
  }

  // --- start --------------------------------------------------------------------------------
  if ("serviceWorker" in navigator && cfg.swUrl) {
    navigator.serviceWorker.register(cfg.swUrl, { scope: "/" }).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (ev) {
      if (ev.data && ev.data.type === "outbox-changed") {
        if (ev.data.stored && ev.data.stored.length && keepList()) {
          uploadedFlash(ev.data.stored);
          location.replace(location.pathname);
          return;
        }
        refresh();
      }
    });
  }

  var saved = new URLSearchParams(location.search).get("saved");
  var start = ownPages();
  if (!user) start = start.then(function () { return O.setMeta("user", ""); });  // the worker sends nothing
  if (user) {
    start = start.then(function () {
      return Promise.all([O.setMeta("user", user), csrfOfPage() ? O.setMeta("csrf", csrfOfPage()) : null]);
    });
    if (saved) {
      start = start.then(function () { return O.confirmed(saved); }).then(function () {
        history.replaceState(null, "", location.pathname + location.hash);
      });
    }
  }
  buildPanel();
  showFlashes();
  guardLogout();
  window.addEventListener("online", function () { retryDelay = 2000; onlineState(); flush(); });
  window.addEventListener("offline", onlineState);
  start.then(function () {
    onlineState();
    keepMine();
    return flush();
  });

  window.CareOffline = { user: user, refresh: refresh, flush: flush, flash: flash, showAlert: showAlert,
    quiet: function (token) { quiet[token] = true; } };
})();
