// The SUPPORT queue of the admin console (src/admin/support.c): user reports
// filed from a conversation are listed to staff (SUPPORT and higher) only,
// a report shows the reported conversation read-only, staff resolve or
// dismiss it with a note (kept on errors), and every view and change is in
// the audit log.  Non-staff get 403, staff without 2FA go to /account/2fa.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { get, pngBytes } from './helpers.mjs';
import { user, Client, sql, locationOf, RUN } from './money-helpers.mjs';

let seller, buyer, staff, conv, reportId, S, B, T;

const post = (c, path, fields = {}) => get(path, {
  method: 'POST', body: new URLSearchParams({ csrf: c.u.csrf, ...fields }).toString(),
  headers: { cookie: c.header(), 'content-type': 'application/x-www-form-urlencoded' },
});

before(async () => {
  seller = user('rs', ['SELLER']);
  buyer = user('rb');
  staff = user('rt', ['SUPPORT']);
  S = new Client(seller); B = new Client(buyer); T = new Client(staff);
  conv = Number(locationOf(await B.get(`/contact/${seller.handle}`)).match(/(\d+)$/)[1]);
  for (const body of [`Pay me on PayPal directly ${RUN}`, 'my whatsapp is +27 82 555 0000']) {
    const fd = new FormData();
    fd.append('csrf', seller.csrf);
    fd.append('body', body);
    fd.append('files', new Blob([pngBytes(20, 20)], { type: 'image/png' }), 'proof.png');
    const r = await get(`/inbox/${conv}/messages`, { method: 'POST', body: fd, headers: { cookie: S.header() } });
    assert.equal(r.status, 303);
  }
  const res = await post(B, `/inbox/${conv}/report`, { reason: 'scam', details: `Wants payment outside ${RUN}` });
  assert.equal(res.status, 303);
  reportId = Number(sql(`SELECT id FROM user_reports WHERE conversation_id = :'v1' ORDER BY id DESC LIMIT 1`, conv));
  assert.ok(reportId > 0);
});

test('non-staff get 403, anonymous go to log in; staff without 2FA to /account/2fa', async () => {
  for (const c of [B, S]) {
    assert.equal((await c.get('/admin/support')).status, 403);
    assert.equal((await c.get(`/admin/support/${reportId}`)).status, 403);
    assert.equal((await post(c, `/admin/support/${reportId}/resolve`, { note: 'x' })).status, 403);
  }
  assert.equal((await get('/admin/support')).status, 303);
  const no2fa = user('rn', ['SUPPORT']);
  sql(`DELETE FROM user_totp WHERE user_id = :'v1'`, no2fa.id);
  const res = await new Client(no2fa).get('/admin/support');
  assert.equal(res.status, 303);
  assert.equal(locationOf(res), '/account/2fa?required=1');
  assert.equal(sql(`SELECT status FROM user_reports WHERE id = :'v1'`, reportId), 'open');
});

test('the queue lists open reports; the report shows the conversation read-only; views are audited', async () => {
  let res = await T.get('/admin/support');
  assert.equal(res.status, 200);
  assert.match(res.text_, /data-nav="support"[^>]*>|href="\/admin\/support" aria-current="page"/);
  const row = res.text_.match(new RegExp(`<tr data-report="${reportId}">([\\s\\S]*?)</tr>`));
  assert.ok(row, 'the report in the open queue');
  assert.match(row[1], new RegExp(`@${seller.handle}`));
  assert.match(row[1], new RegExp(`@${buyer.handle}`));
  assert.match(row[1], /<code>scam<\/code>/);
  assert.match((await T.get('/admin')).text_, /href="\/admin\/support"/, 'a nav link in the console');

  res = await T.get(`/admin/support/${reportId}`);
  assert.equal(res.status, 200);
  assert.match(res.text_, new RegExp(`data-details>Wants payment outside ${RUN}<`));
  assert.match(res.text_, new RegExp(`Pay me on PayPal directly ${RUN}`));
  assert.match(res.text_, /data-warn>/, 'the off-platform flag shows');
  assert.equal([...res.text_.matchAll(/class="message message--reported"/g)].length, 2, 'the reported user\'s messages marked');
  assert.doesNotMatch(res.text_, /data-message-form/, 'read-only: no composer');
  const file = res.text_.match(new RegExp(`href="(/inbox/${conv}/files/\\d+)">proof\\.png<`));
  assert.ok(file, 'the attachments are listed');
  assert.equal((await T.get(file[1])).status, 200, 'staff open an attachment of the reported conversation');
  assert.equal((await new Client(user('ry')).get(file[1])).status, 404, 'a stranger does not');
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE actor_id = :'v1' AND action = 'support.report.view'
    AND entity_type = 'user_report' AND entity_id = :'v2'`, staff.id, reportId), '1');
  assert.equal((await T.get('/admin/support/999999999')).status, 404);
});

test('resolve with a note (kept on errors); 409 when already handled; audited with before/after', async () => {
  let res = await post(T, `/admin/support/${reportId}/resolve`, { note: '   ' });
  assert.equal(res.status, 422);
  res = await post(T, `/admin/support/${reportId}/resolve`, { note: 'n'.repeat(2001) });
  assert.equal(res.status, 413);
  assert.match(res.text_, /n{2001}<\/textarea>/, 'the note kept');
  assert.equal(sql(`SELECT status FROM user_reports WHERE id = :'v1'`, reportId), 'open');
  res = await post(T, `/admin/support/${reportId}/resolve`, { note: `Warned the seller ${RUN}` });
  assert.equal(res.status, 303);
  assert.equal(locationOf(res), `/admin/support/${reportId}`);
  assert.equal(sql(`SELECT status || ':' || note || ':' || handled_by FROM user_reports WHERE id = :'v1'`, reportId),
    `resolved:Warned the seller ${RUN}:${staff.id}`);
  assert.equal(sql(`SELECT (before->>'status') || ':' || (after->>'status') FROM audit_log WHERE actor_id = :'v1'
    AND action = 'support.report.resolve' AND entity_id = :'v2'`, staff.id, reportId), 'open:resolved');
  res = await post(T, `/admin/support/${reportId}/dismiss`, { note: 'again' });
  assert.equal(res.status, 409);
  assert.match(res.text_, /already handled/);
  assert.doesNotMatch((await T.get('/admin/support')).text_, new RegExp(`data-report="${reportId}"`), 'gone from the open queue');
  assert.match((await T.get('/admin/support?status=resolved')).text_, new RegExp(`data-report="${reportId}"`));
  assert.equal((await post(T, '/admin/support/999999999/resolve', { note: 'x' })).status, 404);
});

test('dismiss a report; higher staff roles may handle the queue too', async () => {
  const res0 = await post(S, `/inbox/${conv}/report`, { reason: 'spam', details: '' });
  assert.equal(res0.status, 303, 'the seller reports the buyer');
  const id = Number(sql(`SELECT id FROM user_reports WHERE reporter_id = :'v1' ORDER BY id DESC LIMIT 1`, seller.id));
  const admin = new Client(user('ra', ['ADMIN']));
  assert.equal((await admin.get('/admin/support')).status, 200);
  const res = await post(admin, `/admin/support/${id}/dismiss`, { note: 'Not spam.' });
  assert.equal(res.status, 303);
  assert.equal(sql(`SELECT status FROM user_reports WHERE id = :'v1'`, id), 'dismissed');
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action = 'support.report.dismiss' AND entity_id = :'v1'`, id), '1');
});
