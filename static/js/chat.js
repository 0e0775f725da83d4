// chat.js - the live conversation page (templates/messages/thread.mustache),
// imported by app.js when the page has div[data-thread][data-events]; app.js
// then opens the page's one EventSource on that scoped URL and hands every
// event to the handlers registered here.
//
// Without JavaScript the page works by form posts (send, then 303 back to
// the thread); with it:
// - incoming `message` events of this conversation are appended (deduped by
//   id; body_html is the server's sanitized Markdown, everything else is set
//   as text), `message.edited` / `message.deleted` applied in place;
// - the composer sends with fetch (Accept: application/json, a FormData of
//   the form itself, so csrf and the files go along) and falls back to a
//   normal form submit when the network or the server fails; a 4xx answer
//   shows its message and keeps the text;
// - typing: POST /inbox/{id}/typing at most every 3 s while typing; the
//   other's `typing` shows [data-typing] until 6 s after the last one;
// - read receipts: POST /inbox/{id}/read (up_to = newest id) when the page is
//   visible and the other's messages arrive (or when it becomes visible);
//   the other's `conversation.read` turns my [data-receipt] to "Read";
// - presence: `presence` events of the other participant (souk-sse sends
//   the current state on connecting) fill [data-presence].
// - custom offers (issue 7): a `message` of kind "offer" fetches its card
//   (GET /inbox/{id}/messages/{mid}/offer), and each `offer` event
//   {conversation_id, offer_id, message_id, status} - sent on creation and
//   on every later change of the offer's status - fetches GET
//   /offers/{id}/card; the card, rendered for me by the server (accept
//   form or withdraw button), goes into li[data-message=message_id],
//   replacing the card shown. Without JavaScript the card shows on reload.
// Strings come from data attributes of the thread root (data-t-*), rendered
// translated by the template.

const TYPING_EVERY = 3000; // ms between two typing posts
const TYPING_SHOWN = 6000; // ms the indicator stays after the last typing event

export function init(root, live) {
  const conv = Number(root.dataset.conversation);
  const me = Number(root.dataset.me);
  const other = Number(root.dataset.other);
  const list = root.querySelector('[data-messages]');
  const form = root.querySelector('form[data-message-form]');
  const typingEl = root.querySelector('[data-typing]');
  const presenceEl = root.querySelector('[data-presence]');
  const t = (name, fallback) => root.dataset['t' + name] || fallback;
  if (!conv || !list) return;

  /* ---- rendering ---- */

  const idOf = (li) => Number(li.dataset.message);
  const items = () => [...list.querySelectorAll(':scope > li[data-message]')];
  const newest = () => items().reduce((m, li) => Math.max(m, idOf(li)), 0);

  function timeText(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso || '';
    return d.toLocaleString(document.documentElement.lang || undefined,
      { dateStyle: 'medium', timeStyle: 'short' });
  }

  // The markup of templates/messages/thread.mustache's message <li>.
  function render(m) {
    const mine = Number(m.sender_id) === me;
    const id = Number(m.message_id);
    const li = el('li', 'message' + (mine ? ' message--mine' : ''));
    li.id = 'm' + id;
    li.dataset.message = String(id);
    li.dataset.kind = m.kind || 'user';
    const meta = el('p', 'message__meta muted');
    const time = el('time', '', timeText(m.at));
    time.dateTime = m.at || '';
    meta.append(el('span', 'message__sender', '@' + (m.sender_handle || '')), ' ', time);
    if (m.edited) meta.append(' ', editedMark());
    li.append(meta);
    if (m.reply_to && m.reply_to.id) {
      const q = el('blockquote', 'message__quote');
      q.dataset.replyTo = String(m.reply_to.id);
      const a = el('a', '', '@' + (m.reply_to.sender_handle || ''));
      a.href = '#m' + m.reply_to.id;
      q.append(a, ': ' + (m.reply_to.snippet || ''));
      li.append(q);
    }
    if (m.warn) li.append(warnBanner());
    const body = el('div', 'message__body prose');
    body.innerHTML = m.body_html || ''; // sanitized by the server (markdown.h)
    li.append(body);
    if (Array.isArray(m.attachments) && m.attachments.length) {
      const ul = el('ul', 'message__files');
      ul.dataset.attachments = '';
      for (const f of m.attachments) {
        const a = el('a', '', f.name);
        a.href = f.url;
        a.dataset.attachment = String(f.id);
        a.setAttribute('download', '');
        const item = el('li');
        item.append(a, ' ', el('span', 'muted', '(' + (f.size_text || sizeText(f.size || 0)) + ')'));
        ul.append(item);
      }
      li.append(ul);
    }
    const tools = el('p', 'message__tools');
    const reply = el('a', '', t('Reply', 'Reply'));
    reply.href = `/inbox/${conv}?reply_to=${id}#composer`;
    reply.dataset.reply = String(id);
    tools.append(reply);
    if (mine) {
      const edit = el('a', '', t('Edit', 'Edit'));
      edit.href = `/inbox/${conv}?edit=${id}#m${id}`;
      edit.dataset.edit = String(id);
      tools.append(' · ', edit);
      const csrf = form && form.querySelector('input[name="csrf"]');
      if (csrf) {
        const del = el('form', 'inline-form');
        del.method = 'post';
        del.action = `/inbox/${conv}/messages/${id}/delete`;
        del.dataset.deleteForm = '';
        const hidden = el('input');
        hidden.type = 'hidden';
        hidden.name = 'csrf';
        hidden.value = csrf.value;
        const button = el('button', 'link-button', t('Delete', 'Delete'));
        button.type = 'submit';
        button.dataset.delete = String(id);
        del.append(hidden, button);
        tools.append(' · ', del);
      }
      const r = el('span', 'message__receipt muted', t('Sent', 'Sent'));
      r.dataset.receipt = '';
      tools.append(' · ', r);
    }
    li.append(tools);
    return li;
  }

  function el(tag, cls = '', text = null) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== null) e.textContent = text;
    return e;
  }

  function sizeText(n) {
    if (n < 1024) return n + ' B';
    if (n < 1048576) return Math.round(n / 1024) + ' KB';
    return (n / 1048576).toFixed(1) + ' MB';
  }

  function editedMark() {
    const e = el('span', 'message__edited', t('Edited', '(edited)'));
    e.dataset.edited = '';
    return e;
  }

  function warnBanner() {
    const p = el('p', 'message__warn notice', t('Warn', 'Keep communication and payments on Souk.'));
    p.dataset.warn = '';
    p.setAttribute('role', 'note');
    return p;
  }

  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  }

  /** Insert message @m (event data) in id order unless it is shown already; true when added. */
  function add(m) {
    if (Number(m.conversation_id) !== conv || !m.message_id) return false;
    if (document.getElementById('m' + m.message_id)) return false;
    const stick = nearBottom();
    const li = render(m);
    const after = items().find((x) => idOf(x) > Number(m.message_id));
    list.insertBefore(li, after || null);
    const empty = list.querySelector('[data-empty]');
    if (empty) empty.remove();
    if (stick) li.scrollIntoView({ block: 'end' });
    return true;
  }

  /* ---- sending ---- */

  let alertEl = null;
  function showError(text) {
    if (!form) return;
    if (!alertEl) {
      alertEl = document.createElement('div');
      alertEl.className = 'form-alert';
      alertEl.setAttribute('role', 'alert');
      alertEl.dataset.liveError = '';
      form.before(alertEl);
    }
    alertEl.textContent = text;
    alertEl.hidden = false;
  }
  function clearError() {
    if (alertEl) alertEl.hidden = true;
    const server = root.querySelector('#form-alert');
    if (server) server.remove();
  }

  let sending = false;
  if (form && window.fetch && window.FormData) {
    form.addEventListener('submit', async (e) => {
      if (e.defaultPrevented) return;
      e.preventDefault();
      if (sending) return;
      const textarea = form.querySelector('textarea[name="body"]');
      const fd = new FormData(form);
      const button = form.querySelector('button[type="submit"], button:not([type])');
      sending = true;
      if (button) button.disabled = true;
      let res;
      try {
        res = await fetch(form.action, {
          method: 'POST', body: fd, credentials: 'same-origin', headers: { Accept: 'application/json' },
        });
      } catch {
        res = null;
      }
      sending = false;
      if (button) button.disabled = false;
      const json = res && (res.headers.get('content-type') || '').includes('application/json')
        ? await res.json().catch(() => null) : null;
      if (!res || res.status >= 500) {
        // the network or the server failed: send it the way it works without JavaScript
        form.submit();
        return;
      }
      if (res.ok && !(json && json.message)) {
        // answered the way of the form (an HTML page after the redirect): it was sent; show that page
        location.assign(res.url || location.href);
        return;
      }
      if (!res.ok) {
        showError((json && json.message) || t('Failed', 'The message was not sent.'));
        return;
      }
      clearError();
      add(json.message);
      if (textarea) textarea.value = '';
      for (const f of form.querySelectorAll('input[type="file"]')) f.value = '';
      const reply = form.querySelector('input[name="reply_to"]');
      if (reply) reply.value = '';
      const replyNote = root.querySelector('[data-replying]');
      if (replyNote) replyNote.hidden = true;
      lastTyping = 0;
    });
  }

  /** POST @path with only the form's csrf field (and @fields). */
  function post(path, fields = {}) {
    const csrf = form && form.querySelector('input[name="csrf"]');
    if (!csrf) return Promise.resolve(null);
    const body = new FormData();
    body.set('csrf', csrf.value);
    for (const [k, v] of Object.entries(fields)) body.set(k, String(v));
    return fetch(path, { method: 'POST', body, credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .catch(() => null);
  }

  /* ---- typing ---- */

  let lastTyping = 0;
  const textarea = form && form.querySelector('textarea[name="body"]');
  if (textarea) {
    textarea.addEventListener('input', () => {
      const now = Date.now();
      if (!textarea.value.trim() || now - lastTyping < TYPING_EVERY) return;
      lastTyping = now;
      post(`/inbox/${conv}/typing`);
    });
  }

  let typingTimer = 0;
  function hideTyping() {
    clearTimeout(typingTimer);
    if (typingEl) typingEl.hidden = true;
  }
  live.on('typing', (d) => {
    if (Number(d.conversation_id) !== conv || Number(d.user_id) === me || !typingEl) return;
    typingEl.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_SHOWN);
  });

  /* ---- read receipts ---- */

  let readUpTo = 0;
  let unseen = false;
  function markRead() {
    if (document.visibilityState !== 'visible') {
      unseen = true;
      return;
    }
    const upTo = items().filter((li) => !li.classList.contains('message--mine'))
      .reduce((m, li) => Math.max(m, idOf(li)), 0);
    unseen = false;
    if (upTo <= readUpTo) return;
    readUpTo = upTo;
    post(`/inbox/${conv}/read`, { up_to: upTo });
  }
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && unseen) markRead();
  });

  function receiptsRead(upTo) {
    for (const r of root.querySelectorAll('.message--mine [data-receipt]')) {
      const li = r.closest('[data-message]');
      if (li && idOf(li) <= upTo && r.dataset.receipt !== 'read') {
        r.dataset.receipt = 'read';
        r.textContent = t('Read', 'Read');
      }
    }
  }
  live.on('conversation.read', (d) => {
    if (Number(d.conversation_id) !== conv) return;
    if (Number(d.reader_id) === other) receiptsRead(Number(d.last_read_message_id));
    else if (Number(d.reader_id) === me) readUpTo = Math.max(readUpTo, Number(d.last_read_message_id));
  });

  /* ---- messages ---- */

  live.on('message', (m) => {
    if (Number(m.conversation_id) !== conv) return;
    const added = add(m);
    if (added && m.kind === 'offer') offerMessage(Number(m.message_id));
    if (Number(m.sender_id) !== me) {
      hideTyping();
      if (added || Number(m.message_id) > readUpTo) markRead();
    }
  });

  live.on('message.edited', (d) => {
    if (Number(d.conversation_id) !== conv) return;
    const li = document.getElementById('m' + d.message_id);
    if (!li) return;
    const body = li.querySelector('.message__body');
    if (body) body.innerHTML = d.body_html || ''; // sanitized by the server
    const meta = li.querySelector('.message__meta');
    if (meta && !li.querySelector('[data-edited], .message__edited')) meta.append(' ', editedMark());
    const warn = li.querySelector('[data-warn]');
    if (d.warn && !warn && body) body.before(warnBanner());
    else if (!d.warn && warn) warn.remove();
  });

  live.on('message.deleted', (d) => {
    if (Number(d.conversation_id) !== conv) return;
    const li = document.getElementById('m' + d.message_id);
    if (!li || li.classList.contains('message--deleted')) return;
    li.classList.add('message--deleted');
    for (const x of [...li.children]) if (!x.classList.contains('message__meta')) x.remove();
    for (const x of li.querySelectorAll('[data-edited]')) x.remove();
    const p = el('p', 'message__body message__body--deleted muted', t('Deleted', 'This message was deleted'));
    p.dataset.deleted = '';
    li.append(p);
    // quotes of it elsewhere in the thread
    for (const q of root.querySelectorAll(`[data-reply-to="${Number(d.message_id)}"]`)) {
      const a = q.querySelector('a');
      q.textContent = '';
      if (a) q.append(a, ': ');
      q.append(el('em', '', t('Deleted', 'This message was deleted')));
    }
  });

  /* ---- custom offers (templates/crm/offer_card.mustache) ---- */

  const offerFetch = new Map(); // message id -> number of its latest card fetch (the newest answer wins)

  /** Fetch the card at @url and put it into message @messageId (if shown), replacing its card. */
  async function refreshOffer(url, messageId) {
    const li = list.querySelector(`:scope > li[data-message="${messageId}"]`);
    if (!li || li.classList.contains('message--deleted') || !window.fetch) return;
    const n = (offerFetch.get(messageId) || 0) + 1;
    offerFetch.set(messageId, n);
    let html = null;
    try {
      const res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (res.ok) html = await res.text();
    } catch {
      html = null;
    }
    if (html === null || offerFetch.get(messageId) !== n || !li.isConnected || li.classList.contains('message--deleted')) return;
    const tpl = document.createElement('template');
    tpl.innerHTML = html; // our template's output, every value escaped by the server
    const card = tpl.content.querySelector('[data-offer]');
    if (!card) return;
    const old = li.querySelector('[data-offer]');
    if (old) old.replaceWith(card);
    else li.insertBefore(card, li.querySelector(':scope > .message__tools'));
  }

  /** A `message` of kind "offer" was added: its card, found by the message. */
  function offerMessage(messageId) {
    refreshOffer(`/inbox/${conv}/messages/${messageId}/offer`, messageId);
  }

  live.on('offer', (d) => {
    if (Number(d.conversation_id) !== conv || !d.offer_id || !d.message_id) return;
    const messageId = Number(d.message_id);
    const li = list.querySelector(`:scope > li[data-message="${messageId}"]`);
    const shown = li && li.querySelector(`[data-offer="${Number(d.offer_id)}"]`);
    // the card on the page says so already (loaded after the change, or a replayed event):
    // keep it, and whatever the buyer chose in its form
    if (shown && shown.dataset.offerStatus === d.status) return;
    refreshOffer(`/offers/${Number(d.offer_id)}/card`, messageId);
  });

  /* ---- presence ---- */

  live.on('presence', (p) => {
    if (Number(p.user_id) !== other || !presenceEl) return;
    presenceEl.dataset.online = p.online ? 'true' : 'false';
    presenceEl.classList.toggle('presence--online', !!p.online);
    if (p.online) presenceEl.textContent = t('Online', 'Online');
    else if (p.last_seen) presenceEl.textContent = t('LastSeen', 'Last seen') + ' ' + timeText(p.last_seen);
    else presenceEl.textContent = '';
  });

  // messages that arrived before the script ran are read by the page view itself
  readUpTo = Math.max(readUpTo, newest());
}
