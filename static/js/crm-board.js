// crm-board.js - enhances the CRM board (templates/crm/board.mustache).
//
// Progressive enhancement: without JavaScript each card's stage form and
// its "Move to…" buttons POST /crm/leads/{id}/move and the server answers
// 303 back to the board.  With it:
// - cards drag between (and within) columns with sortablejs (served from
//   /static/vendor/sortable.min.js, copied from node_modules by ./dev);
//   a drop POSTs the move with Accept: application/json and a FormData
//   built from the card's own form (so it carries csrf), stage_id = the
//   column's data-stage and position = the card's index there;
//   403 / 409 / any error puts the card back where it was and says why;
// - the "Move to…" button opens a keyboard menu (role=menu: arrow keys,
//   Home/End, Escape closes and gives focus back); choosing a stage
//   moves the card the same way, to the end of that column;
// - `crm.lead` events ({conversation_id, stage_id, position}) of the
//   page's live stream (app.js, EventSource /events) move cards that
//   another tab or device moved;
// - after each move (its own or a live one) the column counts, value
//   totals per currency and "Show all N" links are re-read from the
//   server: GET /crm?<this board's filters> with Accept: application/json
//   answers {columns: [{id, count, more, show_all_url, totals: [{currency,
//   amount, amount_minor}]}], cap} (a column shows at most `cap` cards, so
//   the cards on the page cannot be counted instead).
import { live } from './app.js';

const board = document.querySelector('[data-crm-board]');
const status = document.querySelector('[data-crm-status]');

function say(text) {
  if (status) status.textContent = text;
}

function column(stageId) {
  return board.querySelector(`[data-cards][data-stage="${CSS.escape(String(stageId))}"]`);
}

function card(convId) {
  return board.querySelector(`.crm-card[data-lead="${CSS.escape(String(convId))}"]`);
}

function cards(list) {
  return Array.from(list.querySelectorAll(':scope > .crm-card'));
}

/** Put @el into @list at index @index (past the end: last). */
function place(el, list, index) {
  const others = cards(list).filter((c) => c !== el);
  const ref = others[index] || null;
  list.insertBefore(el, ref);
}

/** Add @delta to the count shown on the column of card list @list (at once, before the server's totals). */
function bump(list, delta) {
  const n = list && list.closest('[data-stage-col]')?.querySelector('[data-count]');
  if (n) n.textContent = String(Math.max(0, Number(n.textContent) + delta));
}

/** Show the server's column counts and totals (columns of GET /crm as JSON). */
function applyColumns(columns) {
  for (const c of columns) {
    const col = board.querySelector(`[data-stage-col="${CSS.escape(String(c.id))}"]`);
    if (!col) continue;
    const n = col.querySelector('[data-count]');
    if (n) n.textContent = String(c.count);
    const totals = col.querySelector('[data-totals]');
    if (totals) {
      totals.replaceChildren(...c.totals.map((t) => {
        const wrap = document.createElement('span');
        wrap.className = 'crm-col__total';
        const v = document.createElement('span');
        v.dataset.total = t.currency;
        v.dataset.minor = String(t.amount_minor);
        v.textContent = t.amount;
        wrap.append(' · ', v);
        return wrap;
      }));
    }
    const more = col.querySelector('[data-show-all-wrap]');
    if (more) {
      more.hidden = !c.more;
      const a = more.querySelector('[data-show-all]');
      if (a) a.href = c.show_all_url;
      const k = more.querySelector('[data-show-all-count]');
      if (k) k.textContent = String(c.count);
    }
  }
  board.dataset.totalsAt = String(Date.now());
}

let totalsBusy = false;
let totalsAgain = false;

/** Re-read the column totals of this board (same filters); one request at a time. */
async function updateTotals() {
  if (totalsBusy) { totalsAgain = true; return; }
  totalsBusy = true;
  try {
    do {
      totalsAgain = false;
      try {
        const res = await fetch(`/crm${window.location.search}`, {
          credentials: 'same-origin', headers: { Accept: 'application/json' },
        });
        if (res.ok) applyColumns((await res.json()).columns || []);
      } catch {
        // offline: the counts moved by one already; a reload shows the rest
      }
    } while (totalsAgain);
  } finally {
    totalsBusy = false;
  }
}

/** The card's own stage marks after a move. */
function refresh(el) {
  if (!el) return;
  const list = el.closest('[data-cards]');
  if (!list) return;
  const stage = list.dataset.stage;
  el.dataset.stage = stage;
  const select = el.querySelector('[data-move-select]');
  if (select) select.value = stage;
  for (const b of el.querySelectorAll('[data-move-list] button[name="stage_id"]')) {
    if (b.value === stage) b.setAttribute('aria-current', 'true');
    else b.removeAttribute('aria-current');
  }
}

/**
 * POST the move of @el to stage @stage at @position ('' = last);
 * resolve true when the server moved it, else false (message shown).
 */
async function send(el, stage, position) {
  const form = el.querySelector('form[data-move-form]');
  const body = new FormData(form);
  body.set('stage_id', String(stage));
  body.set('position', position === '' ? '' : String(position));
  let res;
  try {
    res = await fetch(form.action, {
      method: 'POST', body, credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    });
  } catch {
    say(board.dataset.msgOffline || 'The move could not be sent. Check your connection.');
    return false;
  }
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!res.ok) {
    say((data && data.message) || `The move failed (${res.status}).`);
    return false;
  }
  say('');
  return true;
}

/** Move @el to column @stage (end) through the server; put it back on failure. */
async function moveTo(el, stage) {
  const from = el.closest('[data-cards]');
  const oldIndex = cards(from).indexOf(el);
  const to = column(stage);
  if (!to || to === from) return;
  place(el, to, Infinity);
  refresh(el);
  bump(from, -1);
  bump(to, 1);
  if (!(await send(el, stage, ''))) {
    place(el, from, oldIndex);
    refresh(el);
    bump(to, -1);
    bump(from, 1);
  } else updateTotals();
  el.classList.add('crm-card--moved');
  setTimeout(() => el.classList.remove('crm-card--moved'), 1500);
}

/* ---- drag and drop ---- */

function wireSortable() {
  for (const list of board.querySelectorAll('[data-cards]')) {
    window.Sortable.create(list, {
      group: 'crm',
      animation: 120,
      ghostClass: 'crm-card--ghost',
      // pointer events rather than native HTML5 drag and drop: the same on
      // touch screens, and a drag the tests can drive with the mouse
      forceFallback: true,
      fallbackOnBody: true,
      draggable: '.crm-card',
      filter: 'select, button, input, a, [data-move-list]',
      preventOnFilter: false,
      onEnd: async (evt) => {
        const el = evt.item;
        if (evt.from === evt.to && evt.oldIndex === evt.newIndex) return;
        const from = evt.from;
        const oldIndex = evt.oldIndex;
        const across = evt.from !== evt.to;
        refresh(el);
        if (across) { bump(from, -1); bump(evt.to, 1); }
        if (!(await send(el, evt.to.dataset.stage, cards(evt.to).indexOf(el)))) {
          place(el, from, oldIndex);
          refresh(el);
          if (across) { bump(evt.to, -1); bump(from, 1); }
        } else if (across) updateTotals();
      },
    });
  }
}

/* ---- forms and the "Move to…" menu ---- */

function closeMenu(menu, focusToggle) {
  const toggle = menu.querySelector('[data-move-toggle]');
  const list = menu.querySelector('[data-move-list]');
  list.hidden = true;
  toggle.setAttribute('aria-expanded', 'false');
  if (focusToggle) toggle.focus();
}

function openMenu(menu) {
  for (const other of board.querySelectorAll('[data-move-menu]')) {
    if (other !== menu) closeMenu(other, false);
  }
  const toggle = menu.querySelector('[data-move-toggle]');
  const list = menu.querySelector('[data-move-list]');
  list.hidden = false;
  toggle.setAttribute('aria-expanded', 'true');
  const items = Array.from(list.querySelectorAll('[role="menuitem"]'));
  const current = items.find((i) => !i.hasAttribute('aria-current')) || items[0];
  if (current) current.focus();
}

function wireMenus() {
  for (const menu of board.querySelectorAll('[data-move-menu]')) {
    const toggle = menu.querySelector('[data-move-toggle]');
    const list = menu.querySelector('[data-move-list]');
    if (!toggle || !list) continue;
    toggle.hidden = false;
    list.hidden = true;
    // the menu and drag-and-drop replace the card's select form (kept for no-JS)
    const selectForm = menu.closest('.crm-card').querySelector('form.crm-card__move');
    if (selectForm) selectForm.hidden = true;
    const id = `menu-${menu.closest('.crm-card').dataset.lead}`;
    list.id = id;
    toggle.setAttribute('aria-controls', id);
    toggle.addEventListener('click', () => {
      if (list.hidden) openMenu(menu);
      else closeMenu(menu, true);
    });
    toggle.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        openMenu(menu);
      }
    });
    list.addEventListener('keydown', (e) => {
      const items = Array.from(list.querySelectorAll('[role="menuitem"]'));
      const i = items.indexOf(document.activeElement);
      let next = -1;
      if (e.key === 'ArrowDown') next = (i + 1) % items.length;
      else if (e.key === 'ArrowUp') next = (i - 1 + items.length) % items.length;
      else if (e.key === 'Home') next = 0;
      else if (e.key === 'End') next = items.length - 1;
      else if (e.key === 'Escape' || e.key === 'Tab') {
        if (e.key === 'Escape') e.preventDefault();
        closeMenu(menu, e.key === 'Escape');
        return;
      }
      if (next >= 0) {
        e.preventDefault();
        items[next].focus();
      }
    });
  }
  document.addEventListener('click', (e) => {
    for (const menu of board.querySelectorAll('[data-move-menu]')) {
      const list = menu.querySelector('[data-move-list]');
      if (list && !list.hidden && !menu.contains(e.target)) closeMenu(menu, false);
    }
  });
  board.addEventListener('submit', (e) => {
    const form = e.target.closest('form[data-move-form]');
    if (!form) return;
    e.preventDefault();
    const el = form.closest('.crm-card');
    const stage = e.submitter && e.submitter.name === 'stage_id'
      ? e.submitter.value : new FormData(form).get('stage_id');
    const menu = form.closest('[data-move-menu]');
    if (menu) closeMenu(menu, false);
    moveTo(el, stage).then(() => {
      const t = el.querySelector('[data-move-toggle]') || el.querySelector('.crm-card__buyer');
      if (t && menu) t.focus();
    });
  });
}

/* ---- live moves from other tabs and devices ---- */

function wireLive() {
  live.on('crm.lead', (data) => {
    // counts and totals change even when the card is not on this page
    // (filtered out, or past a column's cap)
    updateTotals();
    const el = card(data.conversation_id);
    const to = column(data.stage_id);
    if (!el || !to) return;
    const here = el.closest('[data-cards]');
    if (here === to && cards(to).indexOf(el) === data.position) return;
    if (el.contains(document.activeElement)) return; // being used here right now
    place(el, to, Number(data.position));
    refresh(el);
    el.classList.add('crm-card--moved');
    setTimeout(() => el.classList.remove('crm-card--moved'), 1500);
  });
}

function start() {
  if (!board) return;
  board.dataset.enhanced = '1';
  wireMenus();
  wireLive();
  const ready = () => {
    if (window.Sortable) wireSortable();
    board.dataset.ready = '1';
  };
  if (window.Sortable) ready();
  else window.addEventListener('load', ready, { once: true });
}

start();
