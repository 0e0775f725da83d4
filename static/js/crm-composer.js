// crm-composer.js - saved replies by /shortcut in the thread's composer
// (templates/crm/thread_tools.mustache, issue 7).  Progressive enhancement:
// without JavaScript the "Saved reply" select and its Insert button do the
// same through the server.
//
// Typing "/" at the start of a word in the message box opens a listbox of
// the seller's saved replies whose shortcut starts with what follows the
// "/".  ArrowDown/ArrowUp move the active option (aria-activedescendant on
// the textarea), Enter or Tab inserts it, Escape closes the list; a click
// inserts too.  Inserting replaces "/shortcut" with the reply rendered by
// the server for this conversation (GET /crm/replies/ID/render?conversation=
// CONV, text/plain: the same rendering as the Insert button's), so variables
// such as {{buyer_name}} come out filled in and escaped.  Loaded with defer
// (the site's Content-Security-Policy has no 'unsafe-inline').
(function () {
  'use strict';
  var tools = document.querySelector('[data-crm-tools]');
  var form = document.querySelector('form[data-message-form]');
  if (!tools || !form || !window.fetch) return;
  var box = form.querySelector('textarea[name="body"]');
  var select = tools.querySelector('select[data-crm-replies]');
  var list = tools.querySelector('[data-crm-listbox]');
  var status = tools.querySelector('[data-crm-status]');
  if (!box || !select || !list) return;

  var replies = Array.prototype.map.call(select.options, function (o) {
    return { id: o.value, shortcut: o.getAttribute('data-shortcut') || '',
      url: o.getAttribute('data-render'), label: o.textContent };
  });
  var matches = [];
  var active = -1;
  var token = null;   // {start, end} of "/word" in the textarea

  box.setAttribute('aria-autocomplete', 'list');
  box.setAttribute('aria-controls', list.id);
  box.setAttribute('aria-describedby', ((box.getAttribute('aria-describedby') || '') +
    ' crm-tools-hint').trim());

  // The "/word" that ends at the caret, if it starts a word.
  function currentToken() {
    var pos = box.selectionStart;
    if (pos !== box.selectionEnd) return null;
    var before = box.value.slice(0, pos);
    var m = before.match(/(^|\s)\/([a-z0-9_-]{0,32})$/);
    if (!m) return null;
    return { start: pos - m[2].length - 1, end: pos, word: m[2] };
  }

  function announce(text) {
    if (status) status.textContent = text;
  }

  function close() {
    list.hidden = true;
    list.textContent = '';
    matches = [];
    active = -1;
    token = null;
    box.removeAttribute('aria-activedescendant');
  }

  function setActive(i) {
    var items = list.querySelectorAll('[role="option"]');
    active = i;
    for (var k = 0; k < items.length; k++)
      items[k].setAttribute('aria-selected', k === i ? 'true' : 'false');
    if (items[i]) {
      box.setAttribute('aria-activedescendant', items[i].id);
      if (items[i].scrollIntoView) items[i].scrollIntoView({ block: 'nearest' });
    }
  }

  function open(t) {
    token = t;
    matches = replies.filter(function (r) { return r.shortcut.indexOf(t.word) === 0; });
    list.textContent = '';
    if (matches.length === 0) {
      close();
      return;
    }
    matches.forEach(function (r, i) {
      var li = document.createElement('li');
      li.id = 'crm-reply-option-' + r.id;
      li.setAttribute('role', 'option');
      li.setAttribute('data-shortcut', r.shortcut);
      li.textContent = r.label;
      li.addEventListener('mousedown', function (e) {
        e.preventDefault();   // keep the focus (and the caret) in the textarea
        insert(i);
      });
      list.appendChild(li);
    });
    list.hidden = false;
    setActive(0);
    announce(matches.length === 1 ? '1 saved reply' : matches.length + ' saved replies');
  }

  function insert(i) {
    var r = matches[i], t = token;
    if (!r || !t) return;
    close();
    fetch(r.url, { credentials: 'same-origin', headers: { Accept: 'text/plain' } })
      .then(function (res) {
        if (!res.ok) throw new Error('render ' + res.status);
        return res.text();
      })
      .then(function (text) {
        // the "/word" may have moved if the user typed meanwhile: find it again
        var v = box.value, start = t.start;
        if (v.slice(start, start + t.word.length + 1) !== '/' + t.word) {
          start = v.lastIndexOf('/' + t.word);
          if (start < 0) start = box.selectionStart;
        }
        var end = v.slice(start, start + t.word.length + 1) === '/' + t.word ?
          start + t.word.length + 1 : start;
        box.value = v.slice(0, start) + text + v.slice(end);
        var caret = start + text.length;
        box.focus();
        box.setSelectionRange(caret, caret);
        box.dispatchEvent(new Event('input', { bubbles: true }));
        announce('Inserted /' + r.shortcut);
      })
      .catch(function () {
        announce('The saved reply could not be inserted. Use the Insert button.');
      });
  }

  box.addEventListener('input', function () {
    var t = currentToken();
    if (t) open(t); else close();
  });
  // Captured on the form, before the textarea's own listeners (chat.js may
  // send the message on Enter): while the list is open these keys are ours.
  form.addEventListener('keydown', function (e) {
    if (e.target !== box || list.hidden || matches.length === 0) return;
    var k = e.key;
    if (k !== 'ArrowDown' && k !== 'ArrowUp' && k !== 'Enter' && k !== 'Tab' && k !== 'Escape')
      return;
    e.preventDefault();
    e.stopPropagation();
    if (k === 'ArrowDown') setActive((active + 1) % matches.length);
    else if (k === 'ArrowUp') setActive((active - 1 + matches.length) % matches.length);
    else if (k === 'Escape') close();
    else insert(active < 0 ? 0 : active);
  }, true);
  box.addEventListener('blur', function () {
    setTimeout(function () { if (document.activeElement !== box) close(); }, 150);
  });
})();
