/* The outbox of visits recorded on this phone, and the drafts of forms being typed.
   IndexedDB (through the vendored `idb`), shared by the pages and the service worker.
   See docs/offline.md.

   An outbox entry is one attempt to record one visit: its key is the attempt's client_token,
   so putting the same attempt twice keeps one entry, and sending it again (a retry, a replay
   after a lost answer) is answered by the server with the visit it already stored. */
(function (root) {
  "use strict";
  var DB_NAME = "care-offline";
  var cfg = { mineUrl: "/visits/mine/", loginUrl: "/accounts/login/" };
  var dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = root.idb.openDB(DB_NAME, 1, {
        upgrade: function (d) {
          d.createObjectStore("outbox", { keyPath: "token" });
          d.createObjectStore("drafts", { keyPath: "key" });
          d.createObjectStore("meta");
        },
      });
    }
    return dbPromise;
  }

  function newToken() {
    if (root.crypto && typeof root.crypto.randomUUID === "function") return root.crypto.randomUUID();
    var b = new Uint8Array(16);
    root.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- meta (current user, last CSRF token seen; read by the service worker) -----------------
  function getMeta(key) { return db().then(function (d) { return d.get("meta", key); }); }
  function setMeta(key, value) { return db().then(function (d) { return d.put("meta", value, key); }); }

  // --- outbox ------------------------------------------------------------------------------
  function put(entry) { return db().then(function (d) { return d.put("outbox", entry); }); }
  function get(token) { return db().then(function (d) { return d.get("outbox", token); }); }
  function remove(token) { return db().then(function (d) { return d.delete("outbox", token); }); }
  function list(user) {
    return db().then(function (d) { return d.getAll("outbox"); }).then(function (all) {
      return all.filter(function (e) { return String(e.user) === String(user); })
        .sort(function (a, b) { return a.createdAt - b.createdAt; });
    });
  }
  function count(user) { return list(user).then(function (l) { return l.length; }); }

  // --- drafts (typed, not yet saved; the attempt token is kept only to match ?saved=) -----------
  function draftKey(user, household) { return user + ":" + household; }
  function getDraft(user, household) {
    return db().then(function (d) { return d.get("drafts", draftKey(user, household)); });
  }
  function saveDraft(user, household, attempt, fields) {
    return db().then(function (d) {
      return d.put("drafts", { key: draftKey(user, household), user: String(user), household: String(household),
        attempt: attempt, fields: fields, savedAt: Date.now() });
    });
  }
  function removeDraft(user, household) {
    return db().then(function (d) { return d.delete("drafts", draftKey(user, household)); });
  }
  function removeDraftsOf(pred) {
    return db().then(function (d) { return d.getAll("drafts"); }).then(function (all) {
      return Promise.all(all.filter(pred).map(function (x) {
        return db().then(function (d) { return d.delete("drafts", x.key); });
      }));
    });
  }

  /* The server confirmed the visit of this attempt: nothing of it stays on the phone. */
  function confirmed(token) {
    return Promise.all([remove(token), removeDraftsOf(function (x) { return x.attempt === token; })]);
  }

  // --- sending -----------------------------------------------------------------------------
  function formData(entry) {
    var fd = new FormData();
    entry.fields.forEach(function (kv) { if (kv[0] !== "client_token") fd.append(kv[0], kv[1]); });
    fd.append("client_token", entry.token);
    (entry.photos || []).forEach(function (p) { fd.append(p.field || "photos", p.blob, p.name); });
    return fd;
  }

  function isLogin(url) { return !!url && url.indexOf(cfg.loginUrl) >= 0; }

  function parse(status, text, url) {
    var json = null;
    try { json = JSON.parse(text); } catch (e) { json = null; }
    return { status: status, json: json, url: url };
  }

  /* One POST. In a page: XMLHttpRequest, for upload progress. In the worker: fetch. */
  function transport(entry, csrf, onProgress) {
    var headers = { "Accept": "application/json", "X-Requested-With": "XMLHttpRequest" };
    if (csrf) headers["X-CSRFToken"] = csrf;
    if (typeof root.XMLHttpRequest === "function") {
      return new Promise(function (resolve, reject) {
        var xhr = new root.XMLHttpRequest();
        xhr.open("POST", entry.url);
        Object.keys(headers).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
        if (onProgress && xhr.upload) {
          xhr.upload.onprogress = function (e) { if (e.lengthComputable) onProgress(e.loaded / e.total); };
        }
        xhr.onload = function () { resolve(parse(xhr.status, xhr.responseText, xhr.responseURL)); };
        xhr.onerror = xhr.ontimeout = xhr.onabort = function () { reject(new Error("network")); };
        xhr.timeout = 120000;
        xhr.send(formData(entry));
      });
    }
    return root.fetch(entry.url, { method: "POST", body: formData(entry), headers: headers, credentials: "same-origin" })
      .then(function (r) { return r.text().then(function (t) { return parse(r.status, t, r.url); }); });
  }

  /* A fresh CSRF token, read from a page (the cookie is HttpOnly). Null when signed out. */
  function freshCsrf() {
    return root.fetch(cfg.mineUrl, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (isLogin(r.url) || !r.ok) return null;
      return r.text().then(function (html) {
        var m = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html);
        if (!m) return null;
        return setMeta("csrf", m[1]).then(function () { return m[1]; });
      });
    });
  }

  /* Send one entry and say what became of it:
     stored (201/200 naming this token) | invalid (400) | login | gone (404) | retry. */
  function send(entry, opts) {
    opts = opts || {};
    var csrfP = opts.csrf ? Promise.resolve(opts.csrf) : getMeta("csrf");
    return csrfP.then(function (csrf) {
      return transport(entry, csrf, opts.onProgress).then(function (r) {
        if (r.status !== 403) return r;
        return freshCsrf().then(function (fresh) { return fresh ? transport(entry, fresh, opts.onProgress) : r; });
      });
    }).then(function (r) {
      var j = r.json || {};
      if (r.status === 401 || j.login_required || isLogin(r.url)) return { kind: "login" };
      if ((r.status === 200 || r.status === 201) && j.ok && String(j.client_token) === String(entry.token)) {
        return { kind: "stored", json: j };
      }
      if (r.status === 400 && j.errors) return { kind: "invalid", errors: j.errors };
      if (r.status === 404) return { kind: "gone" };
      return { kind: "retry", status: r.status };
    }, function () { return { kind: "retry", status: 0 }; });
  }

  function withLock(fn) {
    var locks = root.navigator && root.navigator.locks;
    return locks ? locks.request("care-outbox", fn) : fn();
  }

  /* Send every waiting entry of the signed-in user, oldest first. Stops at the first network
     failure or when the session is gone (entries wait; nothing is dropped). */
  function flush(opts) {
    opts = opts || {};
    var userP = opts.user ? Promise.resolve(opts.user) : getMeta("user");
    return userP.then(function (user) {
      var result = { stored: [], retry: false, login: false, user: user };
      if (!user) return result;
      return withLock(function () {
        return list(user).then(function (entries) {
          var waiting = entries.filter(function (e) { return e.status === "queued" || e.status === "login"; });
          var chain = Promise.resolve();
          waiting.forEach(function (entry) {
            chain = chain.then(function () {
              if (result.retry || result.login) return;
              entry.attempts = (entry.attempts || 0) + 1;
              entry.lastTriedAt = Date.now();
              return send(entry, { csrf: opts.csrf, onProgress: opts.onProgress && function (f) { opts.onProgress(entry, f); } })
                .then(function (out) {
                  if (out.kind === "stored") {
                    result.stored.push({ token: entry.token, household: entry.householdName, kind: entry.kind || "visit",
                      json: out.json });
                    return confirmed(entry.token);
                  }
                  if (out.kind === "login") { result.login = true; entry.status = "login"; }
                  else if (out.kind === "invalid") { entry.status = "invalid"; entry.errors = out.errors; }
                  else if (out.kind === "gone") { entry.status = "gone"; }
                  else { result.retry = true; }
                  return get(entry.token).then(function (still) { if (still) return put(entry); });
                });
            });
          });
          return chain.then(function () { return result; });
        });
      });
    });
  }

  root.CareOutbox = {
    configure: function (c) { Object.keys(c).forEach(function (k) { cfg[k] = c[k]; }); },
    newToken: newToken, getMeta: getMeta, setMeta: setMeta,
    put: put, get: get, remove: remove, list: list, count: count, confirmed: confirmed,
    getDraft: getDraft, saveDraft: saveDraft, removeDraft: removeDraft, removeDraftsOf: removeDraftsOf,
    send: send, flush: flush, withLock: withLock,
  };
})(self);
