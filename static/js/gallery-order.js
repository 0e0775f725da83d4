// gallery-order.js - drag to reorder the gallery step of the gig wizard
// (templates/studio/gallery.mustache).  Progressive enhancement: without
// JavaScript the Move up / Move down / Make cover buttons do the same, and
// they stay for keyboard users.  A drop sends the whole order to
// POST /studio/gigs/{id}/gallery/order (fields csrf, order = item ids,
// comma-separated; header X-Requested-With: fetch -> 204) and reloads the
// page so the cover badge and the buttons follow; an error reloads too,
// showing the order the server kept.  Loaded with defer (no inline script:
// the site's Content-Security-Policy has no 'unsafe-inline').
(function () {
  'use strict';
  var list = document.querySelector('ol.gallery-items[data-order-url]');
  if (!list || !window.fetch || !window.URLSearchParams || !('draggable' in list)) return;
  var url = list.getAttribute('data-order-url');
  var csrf = list.getAttribute('data-csrf');
  var hint = document.getElementById('gallery-order-hint');
  var dragged = null;
  var before = '';

  function items() {
    return Array.prototype.slice.call(list.querySelectorAll(':scope > li[data-id]'));
  }
  function order() {
    return items().map(function (li) { return li.getAttribute('data-id'); }).join(',');
  }
  function save() {
    var now = order();
    if (now === before) return;
    var body = new URLSearchParams();
    body.set('csrf', csrf);
    body.set('order', now);
    list.setAttribute('aria-busy', 'true');
    fetch(url, {
      method: 'POST', body: body, credentials: 'same-origin',
      headers: { 'X-Requested-With': 'fetch' },
    }).then(function () {
      window.location.reload();
    }, function () {
      window.location.reload();
    });
  }

  if (hint) hint.hidden = false;
  list.classList.add('gallery-items--sortable');
  items().forEach(function (li) {
    li.draggable = true;
    li.addEventListener('dragstart', function (e) {
      dragged = li;
      before = order();
      li.classList.add('gallery-item--dragging');
      e.dataTransfer.effectAllowed = 'move';
      e.dataTransfer.setData('text/plain', li.getAttribute('data-id'));
    });
    li.addEventListener('dragend', function () {
      li.classList.remove('gallery-item--dragging');
      if (dragged) {
        dragged = null;
        save();
      }
    });
    li.addEventListener('dragover', function (e) {
      if (!dragged) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'move';
      if (dragged === li) return;
      var r = li.getBoundingClientRect();
      var after = e.clientY > r.top + r.height / 2;
      list.insertBefore(dragged, after ? li.nextSibling : li);
    });
  });
  list.addEventListener('dragover', function (e) {
    if (dragged) e.preventDefault();
  });
  list.addEventListener('drop', function (e) {
    if (!dragged) return;
    e.preventDefault();
    dragged.classList.remove('gallery-item--dragging');
    dragged = null;
    save();
  });
}());
