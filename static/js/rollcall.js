/* Roll call (点名核查) on a cadre's phone, with or without signal.
 *
 * Each tap makes one mark with its own token (crypto.randomUUID) and the phone's time. The mark is
 * put in an outbox in localStorage first, then sent; a mark leaves the outbox only when the server
 * confirms that token (201 stored now, 200 stored before). No signal, a server error or an expired
 * session leave it in the outbox, shown as 待上传 N, and it is sent again on `online`, on page load
 * and every 30 s — a retry of the same token is stored once by the server.
 */
(function () {
  "use strict";
  var root = document.getElementById("rollcall");
  document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  if (!root || !window.fetch || !window.localStorage) return;

  var url = root.dataset.url;
  var key = "care-rollcall-outbox-" + root.dataset.event;
  var labels = JSON.parse(root.dataset.labels || "{}");
  var badge = document.getElementById("rollcall-outbox");
  var sending = false;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function load() { try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; } }
  function save(list) { localStorage.setItem(key, JSON.stringify(list)); show(list); }
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function show(list) {
    if (!badge) return;
    badge.textContent = "待上传 " + list.length;
    badge.classList.toggle("d-none", list.length === 0);
  }
  function mark(item, state) {
    var card = document.getElementById("h" + item.household);
    if (!card) return;
    var current = card.querySelector("[data-role=current]");
    var d = new Date(item.checked_at);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var time = pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
    var text = "当前：" + (labels[item.status] || item.status) + " · " + time;
    if (state === "pending") text += "（待上传）";
    if (state === "error") text = item.error || "上传失败";
    current.textContent = text;
    card.classList.toggle("rollcall-pending", state === "pending");
    card.querySelectorAll("button[name=status]").forEach(function (b) {
      b.classList.toggle("active", b.value === item.status);
    });
  }

  function send() {
    if (sending) return;
    var list = load();
    if (!list.length || navigator.onLine === false) { show(list); return; }
    sending = true;
    var item = list[0];
    var body = new FormData();
    Object.keys(item).forEach(function (k) { if (k !== "error") body.append(k, item[k]); });
    fetch(url, {method: "POST", body: body, credentials: "same-origin",
                headers: {"Accept": "application/json", "X-CSRFToken": csrf()}})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) { return {status: r.status, data: data}; });
      })
      .then(function (res) {
        var rest = load().filter(function (x) { return x.client_token !== item.client_token; });
        if (res.status === 200 || res.status === 201) {
          save(rest); mark(item, "done");
        } else if (res.status === 400 || res.status === 404) {
          item.error = (res.data && res.data.error) || "该记录未被接受";
          save(rest); mark(item, "error");
        } else {
          // 401 (log in again), 403 (stale CSRF after a new login), 5xx: keep it and try later.
          sending = false; show(load()); return;
        }
        sending = false;
        send();
      })
      .catch(function () { sending = false; show(load()); });
  }

  root.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.classList.contains("rollcall-form")) return;
    ev.preventDefault();
    var button = ev.submitter;
    if (!button || !button.value) return;
    var item = {
      household: form.querySelector("input[name=household]").value,
      status: button.value,
      note: form.querySelector("input[name=note]").value || "",
      client_token: uuid(),
      checked_at: new Date().toISOString()
    };
    var list = load();
    list.push(item);
    save(list);
    mark(item, "pending");
    send();
  });

  window.addEventListener("online", send);
  setInterval(send, 30000);
  show(load());
  load().forEach(function (item) { mark(item, "pending"); });
  send();
})();
