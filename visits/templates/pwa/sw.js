/* 关爱帮扶 service worker (rendered by visits/pwa.py at /sw.js; see docs/offline.md).
   - the app shell (static files + an offline page) is kept per version;
   - pages: network first; without a network, the copy the signed-in cadre's pages kept
     (cache "care-pages", written by js/care-offline.js on 我的结对户, wiped at logout,
     on the login page and when another user signs in);
   - Background Sync "care-outbox": sends the visits waiting in IndexedDB (js/care-outbox.js). */
"use strict";
const VERSION = "{{ version }}";
const SHELL = {{ shell|safe }};
const IDB_URL = {{ idb_url|safe }};
const OUTBOX_URL = {{ outbox_url|safe }};
const OFFLINE_URL = {{ offline_url|safe }};
const LOGIN_URL = {{ login_url|safe }};
const MINE_URL = {{ mine_url|safe }};
{% verbatim %}
const SHELL_CACHE = "care-shell-" + VERSION;
const PAGES_CACHE = "care-pages";

importScripts(IDB_URL, OUTBOX_URL);
self.CareOutbox.configure({ mineUrl: MINE_URL, loginUrl: LOGIN_URL });

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith("care-shell-") && key !== SHELL_CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

function pageKey(url) {
  return url.origin + url.pathname;
}

async function fromShell(request) {
  const cache = await caches.open(SHELL_CACHE);
  const hit = await cache.match(request, { ignoreSearch: true });
  if (hit) return hit;
  return fetch(request);
}

async function navigate(request, url) {
  try {
    const response = await fetch(request);
    // A login page means no session: nobody's personal pages stay on this phone.
    if (url.pathname.startsWith(LOGIN_URL)) await caches.delete(PAGES_CACHE);
    return response;
  } catch (err) {
    const pages = await caches.open(PAGES_CACHE);
    const hit = await pages.match(pageKey(url));
    if (hit) return hit;
    const shell = await caches.open(SHELL_CACHE);
    return (await shell.match(OFFLINE_URL)) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(fromShell(request));
  } else if (request.mode === "navigate") {
    event.respondWith(navigate(request, url));
  }
});

async function tellPages(message) {
  for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage(message);
}

self.addEventListener("sync", (event) => {
  if (event.tag !== "care-outbox") return;
  event.waitUntil((async () => {
    const result = await self.CareOutbox.flush({});
    await tellPages({ type: "outbox-changed", stored: result.stored });
    // Throwing asks the browser to fire the sync again later (its own back-off).
    if (result.retry) throw new Error("outbox: network still failing");
  })());
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "flush") {
    event.waitUntil(self.CareOutbox.flush({}).then((result) => tellPages({ type: "outbox-changed", stored: result.stored })));
  }
});
{% endverbatim %}
