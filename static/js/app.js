// app.js - loaded on every page (templates/layouts/base.mustache, a module
// script: no inline code, the Content-Security-Policy has no 'unsafe-inline').
//
// - registers the service worker /sw.js (static/js/sw.js, scope /);
// - for a signed-in visitor (the script tag's data-user) opens ONE
//   EventSource: on a conversation page (div[data-thread][data-events]) the
//   thread's scoped URL "/events?conversation=ID&scope=TOKEN", which carries
//   the user's own stream plus that conversation's typing and the other
//   participant's presence; elsewhere plain "/events" (src/sse/sse.h);
// - keeps the header badges live: the inbox link's [data-unread] (a
//   `message` from someone else adds one unless its thread is on screen; a
//   `conversation.read` of mine refreshes the count from the server) and
//   [data-notifications-badge] (set from the `notification` event's
//   unread_count);
// - dispatches every event to the handlers registered with live.on(type, fn)
//   (chat.js) and as a DOM event "souk:<type>" on document (detail: {id, data})
//   for any other module.
//
// Reconnection: the browser's EventSource retries by itself after a dropped
// connection and sends Last-Event-ID, so souk-sse replays what was missed
// (souk-sse's opening "ready" event carries an id, so there is one even
// before the first real event).
// When the stream fails for good (an HTTP error such as 502 while souk-sse
// restarts) a new EventSource is opened after a back-off, carrying the last
// id seen as ?last_event_id= (a new EventSource cannot set the header), so
// nothing is missed either way.

const EVENT_TYPES = ['ready', 'message', 'message.edited', 'message.deleted', 'conversation.read', 'typing',
  'presence', 'notification', 'order', 'crm.lead'];

const script = document.querySelector('script[src$="/static/js/app.js"]');
const me = script && script.dataset.user ? Number(script.dataset.user) : 0;

/** The one live stream of this page. */
class LiveStream {
  constructor() {
    this.handlers = new Map();
    this.url = '';
    this.es = null;
    this.lastId = '';
    this.failures = 0;
    this.timer = 0;
    this.onopen = [];
    this.refreshUrl = null; // async () => a fresh URL for this page's stream, or null
  }

  /** Call @fn(data, id, type) for each event of @type (several types: an array). */
  on(type, fn) {
    for (const t of Array.isArray(type) ? type : [type]) {
      if (!this.handlers.has(t)) {
        this.handlers.set(t, []);
        if (this.es && !EVENT_TYPES.includes(t)) this.es.addEventListener(t, (e) => this.dispatch(t, e));
      }
      this.handlers.get(t).push(fn);
    }
  }

  /** Open the stream of @url (once). */
  start(url) {
    if (this.es || !window.EventSource) return;
    this.url = url;
    this.open();
  }

  open() {
    let url = this.url;
    if (this.lastId) url += (url.includes('?') ? '&' : '?') + 'last_event_id=' + encodeURIComponent(this.lastId);
    const es = new EventSource(url);
    this.es = es;
    for (const t of new Set([...EVENT_TYPES, ...this.handlers.keys()])) es.addEventListener(t, (e) => this.dispatch(t, e));
    es.addEventListener('open', () => {
      this.failures = 0;
      for (const fn of this.onopen) fn();
    });
    es.addEventListener('error', () => {
      if (es.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
      es.close();
      if (this.es !== es) return;
      this.es = null;
      this.failures++;
      const delay = Math.min(30000, 1000 * 2 ** Math.min(this.failures - 1, 5)) * (0.75 + Math.random() / 2);
      clearTimeout(this.timer);
      this.timer = setTimeout(async () => {
        // a conversation scope expires (souk-web signs it for an hour): after two refusals
        // take a fresh one from the page, and as a last resort keep the user's own stream
        if (this.failures >= 2 && this.refreshUrl) {
          const url = await this.refreshUrl().catch(() => null);
          if (url) this.url = url;
        }
        if (this.failures >= 6 && this.url.includes('scope=')) this.url = '/events';
        this.open();
      }, delay);
    });
  }

  dispatch(type, e) {
    if (e.lastEventId) this.lastId = e.lastEventId;
    let data;
    try { data = JSON.parse(e.data); } catch { return; }
    for (const fn of this.handlers.get(type) || []) {
      try { fn(data, e.lastEventId, type); } catch (err) { console.error(err); }
    }
    document.dispatchEvent(new CustomEvent('souk:' + type, { detail: { id: e.lastEventId, data } }));
  }
}

export const live = new LiveStream();
export const userId = me;

/* ---- header badges ---- */

function setBadge(link, selector, count, attr) {
  if (!link) return;
  let badge = link.querySelector(selector);
  if (count <= 0) {
    if (badge) badge.remove();
    return;
  }
  if (!badge) {
    badge = document.createElement('span');
    badge.className = 'badge';
    link.append(' ', badge);
  }
  badge.setAttribute(attr, String(count));
  // keep a visually hidden label the server rendered; replace only the number
  const last = badge.lastChild;
  if (last && last.nodeType === Node.TEXT_NODE) last.nodeValue = String(count);
  else badge.append(String(count));
}

function unreadNow() {
  const b = document.querySelector('[data-inbox-link] [data-unread]');
  return b ? Number(b.getAttribute('data-unread')) || 0 : 0;
}

let refreshTimer = 0;
/** Read the badges again from a fresh page (after a read elsewhere the server knows the count). */
function refreshBadges() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    try {
      const res = await fetch('/inbox', { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (!res.ok) return;
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const b = doc.querySelector('[data-inbox-link] [data-unread]');
      setBadge(document.querySelector('[data-inbox-link]'), '[data-unread]',
        b ? Number(b.getAttribute('data-unread')) || 0 : 0, 'data-unread');
    } catch { /* offline: the next page load shows it */ }
  }, 300);
}

function threadOnScreen(convId) {
  const t = document.querySelector('[data-thread]');
  return t && Number(t.dataset.conversation) === convId && document.visibilityState === 'visible';
}

if (me) {
  live.on('message', (m) => {
    if (Number(m.sender_id) === me || threadOnScreen(Number(m.conversation_id))) return;
    setBadge(document.querySelector('[data-inbox-link]'), '[data-unread]', unreadNow() + 1, 'data-unread');
  });
  live.on('conversation.read', (r) => {
    if (Number(r.reader_id) === me) refreshBadges();
  });
  live.on('notification', (n) => {
    const el = document.querySelector('[data-notifications-badge]');
    if (!el || typeof n.unread_count !== 'number') return;
    el.setAttribute('data-notifications-badge', String(n.unread_count));
    el.textContent = n.unread_count > 0 ? String(n.unread_count) : '';
    el.hidden = n.unread_count <= 0;
  });
}

/* ---- service worker ---- */

if ('serviceWorker' in navigator && window.isSecureContext) {
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((err) => console.warn('service worker:', err));
}

/* ---- start ---- */

const thread = document.querySelector('[data-thread][data-events]');
if (thread && me) {
  live.refreshUrl = async () => {
    const res = await fetch(location.pathname + location.search, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (!res.ok) return null;
    const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
    const t = doc.querySelector('[data-thread][data-events]');
    return t ? t.dataset.events : null;
  };
  import('./chat.js').then((chat) => {
    chat.init(thread, live);
    live.start(thread.dataset.events);
  }).catch((err) => {
    console.error(err);
    live.start('/events');
  });
} else if (me) {
  live.start('/events');
}
