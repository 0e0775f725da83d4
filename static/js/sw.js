// sw.js - Souk's service worker, served as /sw.js (nginx, no-cache) so its
// scope is the whole site; registered by app.js.
//
// - install: pre-caches the shell's static files (CSS, scripts, icons,
//   manifest, the offline page) in a versioned cache; activate drops the
//   caches of other versions.  Bump VERSION when the shell changes.
// - /static/*: from the cache, refreshed in the background (stale while
//   revalidate); the files are public.
// - pages (navigations): network first.  Only the public catalog pages
//   (home, categories, gigs, sellers' public profiles, search) answered 200
//   without Cache-Control private/no-store to a visitor who is not signed
//   in are kept, to be shown offline;
//   anything else (inbox, orders, account, seller, admin, checkout ...) is
//   never stored.  Offline, a page not kept gets /offline.html.
// - never touched: /events (the live stream), non-GET requests, other
//   origins, and every non-navigation request outside /static/.
// - Web Push (src/webpush): the payload {title, body, url, tag} becomes a
//   notification; a click focuses a tab already on that URL or opens it.

const VERSION = 'souk-shell-v1';
const PAGES = 'souk-pages-v1';
const SHELL = [
  '/static/css/souk.css',
  '/static/js/app.js',
  '/static/js/chat.js',
  '/static/img/icon.svg',
  '/static/img/icon-192.png',
  '/static/img/icon-512.png',
  '/static/img/icon-maskable.svg',
  '/static/manifest.webmanifest',
  '/offline.html',
];
const PAGE_LIMIT = 30; // public pages kept for offline reading

// Paths that are private or live whatever their answer says.
const PRIVATE = /^\/(events|inbox|orders|admin|account|seller|studio|earnings|crm|checkout|contact|payments|notifications|settings|login|logout|signup|forgot|reset|verify|lang|healthz|media|_souk_error)(\/|$)/;
// Public catalog pages (src/catalog): home, search, a category, a seller's
// profile, a gig ("/<handle>/<slug>").
const PUBLIC = /^\/($|search$|c\/[^/]+$|u\/[^/]+$|[^/]+\/[^/]+$)/;
// The page of a signed-in visitor (base.mustache's script tag carries the
// user id): never kept, even on a public path (its header is personal).
const SIGNED_IN = /<script[^>]+data-user="/;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(VERSION).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const k of await caches.keys()) if (k !== VERSION && k !== PAGES) await caches.delete(k);
    await self.clients.claim();
  })());
});

function cacheable(res) {
  const cc = (res.headers.get('cache-control') || '').toLowerCase();
  return res.ok && res.type === 'basic' && !/no-store|private/.test(cc) && !res.headers.has('set-cookie');
}

async function trimPages(cache) {
  const keys = await cache.keys();
  for (let i = 0; i < keys.length - PAGE_LIMIT; i++) await cache.delete(keys[i]);
}

async function keepPage(request, res) {
  const text = await res.text();
  if (SIGNED_IN.test(text)) return;
  const cache = await caches.open(PAGES);
  await cache.put(request, new Response(text, { status: res.status, headers: res.headers }));
  await trimPages(cache);
}

async function page(event, request, url) {
  const keep = PUBLIC.test(url.pathname) && !PRIVATE.test(url.pathname);
  try {
    const res = await fetch(request);
    if (keep && cacheable(res)) event.waitUntil(keepPage(request, res.clone()).catch(() => {}));
    return res;
  } catch (err) {
    if (keep) {
      const hit = await caches.match(request, { cacheName: PAGES });
      if (hit) return hit;
    }
    const offline = await caches.match('/offline.html', { cacheName: VERSION });
    if (offline) return offline;
    throw err;
  }
}

async function staticFile(event, request) {
  const cache = await caches.open(VERSION);
  const hit = await cache.match(request);
  const refresh = fetch(request).then((res) => {
    if (res.ok && res.type === 'basic') cache.put(request, res.clone());
    return res;
  });
  if (hit) {
    event.waitUntil(refresh.catch(() => {}));
    return hit;
  }
  return refresh;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname === '/events' || url.pathname.startsWith('/events/')) return;
  if (request.mode === 'navigate') {
    event.respondWith(page(event, request, url));
    return;
  }
  if (url.pathname.startsWith('/static/') && !url.search) {
    event.respondWith(staticFile(event, request));
  }
});

/* ---- Web Push ---- */

function sameOrigin(u) {
  try {
    const url = new URL(u || '/', self.location.origin);
    return url.origin === self.location.origin ? url.href : self.location.origin + '/';
  } catch {
    return self.location.origin + '/';
  }
}

self.addEventListener('push', (event) => {
  let p = {};
  try { p = event.data ? event.data.json() : {}; } catch { p = { body: event.data ? event.data.text() : '' }; }
  const title = p.title || 'Souk';
  event.waitUntil(self.registration.showNotification(title, {
    body: p.body || '',
    tag: p.tag || undefined,
    data: { url: sameOrigin(p.url) },
    icon: '/static/img/icon-192.png',
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = sameOrigin(event.notification.data && event.notification.data.url);
  event.waitUntil((async () => {
    const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const w of wins) {
      if (w.url === target && 'focus' in w) return w.focus();
    }
    for (const w of wins) {
      if ('navigate' in w && 'focus' in w) {
        await w.focus();
        return w.navigate(target);
      }
    }
    return self.clients.openWindow(target);
  })());
});
