// push.js - "Push notifications on this device" (templates/webpush/settings,
// src/webpush/webpush.h).  An ES module, no framework.
//
// Subscribes through the service worker registration that app.js made
// (navigator.serviceWorker.ready; sw.js shows the pushes), with the VAPID
// public key from GET /push/key as applicationServerKey, and sends the
// subscription (PushSubscription.toJSON() in the field `subscription`) in a
// FormData built from the partial's form, so the csrf field goes with it:
//   POST /push/subscriptions          → 201 {"ok": true, "id"}
//   POST /push/subscriptions/delete   → 204 (turning it off)
// Errors come back as {"error", "message"} (422 malformed subscription).

const root = document.querySelector('[data-push]');

// base64url → bytes (the applicationServerKey).
function keyBytes(b64) {
  const s = b64.trim().replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(s + '='.repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function sameKey(a, b) {
  if (!a || a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a);
  return x.every((v, i) => v === b[i]);
}

async function send(form, url, sub) {
  const fd = new FormData(form);
  fd.set('subscription', JSON.stringify(sub.toJSON()));
  const res = await fetch(url, {
    method: 'POST', body: fd, credentials: 'same-origin', headers: { Accept: 'application/json' },
  });
  if (!res.ok && res.status !== 404) {
    let msg = '';
    try { msg = (await res.json()).message || ''; } catch { /* not JSON */ }
    throw new Error(msg || `HTTP ${res.status}`);
  }
}

async function init(el) {
  const form = el.querySelector('[data-push-form]');
  const on = el.querySelector('[data-push-enable]');
  const off = el.querySelector('[data-push-disable]');
  const status = el.querySelector('[data-push-status]');
  const say = (key, extra) => { status.textContent = (el.dataset[key] || '') + (extra ? ` (${extra})` : ''); };
  // .button sets display, which beats the hidden attribute: set both.
  const hide = (node, hidden) => { node.hidden = hidden; node.style.display = hidden ? 'none' : ''; };
  const show = (subscribed) => {
    hide(form, false);
    hide(on, subscribed);
    hide(off, !subscribed);
    say(subscribed ? 'msgOn' : 'msgOff');
  };

  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    say('msgUnsupported');
    return;
  }
  if (Notification.permission === 'denied') say('msgDenied');
  const reg = await navigator.serviceWorker.ready;
  show(Boolean(await reg.pushManager.getSubscription()));

  on.addEventListener('click', async () => {
    on.disabled = true;
    say('msgWorking');
    try {
      if (await Notification.requestPermission() !== 'granted') {
        say('msgDenied');
        return;
      }
      const res = await fetch('/push/key', { credentials: 'same-origin' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const key = keyBytes(await res.text());
      let sub = await reg.pushManager.getSubscription();
      // A subscription made with another key (the site's key changed) is replaced.
      if (sub && !sameKey(sub.options.applicationServerKey, key)) {
        await sub.unsubscribe();
        sub = null;
      }
      if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      await send(form, form.action, sub);
      show(true);
    } catch (err) {
      say('msgFailed', err.message);
    } finally {
      on.disabled = false;
    }
  });

  off.addEventListener('click', async () => {
    off.disabled = true;
    say('msgWorking');
    try {
      const sub = await reg.pushManager.getSubscription();
      if (sub) {
        await send(form, `${form.action}/delete`, sub);
        await sub.unsubscribe();
      }
      show(false);
    } catch (err) {
      say('msgFailed', err.message);
    } finally {
      off.disabled = false;
    }
  });
}

if (root) init(root).catch((err) => console.warn('push:', err));
