// The staff console (/admin): the authorization matrix of every route for
// every kind of caller, suspension and restoration (sessions end at once,
// log in refused), granting and revoking staff roles (audited, sessions
// end, the actor's own token rotates), the audit-log viewer's filters, user
// search, and `soukctl user create`.
//
// Users are made with soukctl; staff get two-factor authentication by a row
// in user_totp (sql/0008_twofa.sql).  Staff sessions are written straight
// into Redis the way src/identity/session.c does (a staff log in would need
// a TOTP code from a sealed secret); buyers log in for real through POST /login.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  get, stripTags, psql, redis, soukctl, soukctlUser, enableTwofa, redisSession, anonSession, cookieOf, as, postAs,
  ROLE_BIT as BIT, STAFF_ROLES as STAFF, runTag,
} from './helpers.mjs';

// a tag unique to this run, in every handle and e-mail made here
const RUN = runTag();

// ---------------------------------------------------------------- helpers

let seq = 0;
/** A new account made by soukctl: {id, handle, email, password, roles}. */
function makeUser(roles = [], { twofa = true } = {}) {
  const n = ++seq;
  const tag = (roles[0] || 'buyer').toLowerCase().replace('super_admin', 'sa').slice(0, 5);
  return soukctlUser(`adm_${tag}${n}_${RUN}`, `adm-${tag}${n}-${RUN}@example.test`, roles, { twofa });
}

/** A real log in through the accounts module: {status, cookie (souk_sess=…) or null}. */
async function login(who, password) {
  const form = await get('/login');
  if (form.status === 404) return { status: 404, cookie: null, unavailable: true };
  assert.equal(form.status, 200, `GET /login → ${form.status}`);
  const csrfCookie = cookieOf(form, 'souk_csrf');
  const m = form.text_.match(/name="csrf"[^>]*value="([0-9a-f]{64})"/) || form.text_.match(/value="([0-9a-f]{64})"[^>]*name="csrf"/);
  assert.ok(csrfCookie && m, 'the log-in form carries a CSRF token and cookie');
  const res = await get('/login', {
    method: 'POST',
    headers: { cookie: `souk_csrf=${csrfCookie.value}` },
    body: new URLSearchParams({ login: who, password, csrf: m[1] }),
  });
  const sess = cookieOf(res, 'souk_sess');
  return { status: res.status, cookie: sess && sess.value ? `souk_sess=${sess.value}` : null, res };
}

function userRow(id) {
  const [status, roles] = psql(`SELECT status, coalesce((SELECT string_agg(role, ',' ORDER BY role) FROM user_roles WHERE user_id = ${id}), '')
                                FROM users WHERE id = ${id}`).split('|');
  return { status, roles: roles ? roles.split(',') : [] };
}

function liveSessions(id) {
  return redis('SMEMBERS', `usess:${id}`).split('\n').filter(Boolean)
    .filter((k) => redis('EXISTS', k) === '1').length;
}

/** The audit rows of the viewer's table: [{action, html}]. */
function auditRows(html) {
  return [...html.matchAll(/<tr class="audit-entry"[^>]*data-action="([^"]*)"[^>]*>([\s\S]*?)<\/tr>/g)]
    .map((m) => ({ action: m[1], html: m[2] }));
}

// ---------------------------------------------------------------- the policy

// Who may do what (src/admin/admin.h).  GET pages: any staff role.  POST:
//   suspend/restore: MODERATOR (non-staff targets), ADMIN (not SUPER_ADMIN
//   targets), SUPER_ADMIN;  grant/revoke staff roles: SUPER_ADMIN only.
// Anonymous GET → 303 to /login; anonymous POST → 403; signed in without
// the right → 403; allowed POST → 303 back to the user page.
const ACTORS = ['anon', 'buyer', 'seller', ...STAFF];
const GET_OK = { anon: 303, buyer: 403, seller: 403, SUPPORT: 200, MODERATOR: 200, FINANCE: 200, ADMIN: 200, SUPER_ADMIN: 200 };
const STATUS_OK = { anon: 403, buyer: 403, seller: 403, SUPPORT: 403, MODERATOR: 303, FINANCE: 403, ADMIN: 303, SUPER_ADMIN: 303 };
const ROLES_OK = { anon: 403, buyer: 403, seller: 403, SUPPORT: 403, MODERATOR: 403, FINANCE: 403, ADMIN: 403, SUPER_ADMIN: 303 };

const actors = {};	// name -> {user, s}
let target;		// a buyer the GET pages show

before(() => {
  actors.anon = { user: null, s: anonSession() };
  const buyer = makeUser([]);
  actors.buyer = { user: buyer, s: redisSession(buyer) };
  const seller = makeUser(['SELLER']);
  actors.seller = { user: seller, s: redisSession(seller) };
  for (const r of STAFF) {
    const u = makeUser([r]);
    actors[r] = { user: u, s: redisSession(u) };
  }
  target = makeUser([]);
});

// ---------------------------------------------------------------- tests

test('authorization matrix: every /admin GET route for every caller', async () => {
  const routes = ['/admin', '/admin/users', `/admin/users/${target.id}`, '/admin/audit', '/admin/users?q=x&role=staff&status=active&page=1',
    '/admin/audit?action=user&page=1'];
  const problems = [];
  for (const who of ACTORS) {
    for (const path of routes) {
      const res = await as(actors[who].s, path);
      if (res.status !== GET_OK[who]) problems.push(`${who} GET ${path} → ${res.status}, want ${GET_OK[who]}`);
      if (res.status === 303 && !(res.headers.get('location') || '').startsWith('/login?next=%2Fadmin'))
        problems.push(`${who} GET ${path}: redirected to ${res.headers.get('location')}`);
      if (res.status === 200) {
        if (!/no-store/.test(res.headers.get('cache-control') || '')) problems.push(`${who} GET ${path}: no Cache-Control: no-store`);
        if (!/<meta name="robots" content="noindex">/.test(res.text_)) problems.push(`${who} GET ${path}: not noindex`);
        if (/\{\{|\}\}/.test(res.text_)) problems.push(`${who} GET ${path}: template tag leaked`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('authorization matrix: every /admin POST route for every caller', async () => {
  const problems = [];
  for (const who of ACTORS) {
    const t = makeUser([]);
    const s = actors[who].s;
    // suspend, then restore
    let res = await postAs(s, `/admin/users/${t.id}/suspend`, { reason: `matrix ${who}` });
    if (res.status !== STATUS_OK[who]) problems.push(`${who} POST suspend → ${res.status}, want ${STATUS_OK[who]}`);
    let row = userRow(t.id);
    if (row.status !== (STATUS_OK[who] === 303 ? 'suspended' : 'active')) problems.push(`${who} suspend: status ${row.status}`);
    if (res.status === 303 && res.headers.get('location') !== `/admin/users/${t.id}?done=suspended`)
      problems.push(`${who} suspend: redirected to ${res.headers.get('location')}`);
    res = await postAs(s, `/admin/users/${t.id}/restore`);
    if (res.status !== STATUS_OK[who]) problems.push(`${who} POST restore → ${res.status}, want ${STATUS_OK[who]}`);
    row = userRow(t.id);
    if (row.status !== 'active') problems.push(`${who} restore: status ${row.status}`);
    // grant, then revoke
    res = await postAs(s, `/admin/users/${t.id}/roles/grant`, { role: 'SUPPORT' });
    if (res.status !== ROLES_OK[who]) problems.push(`${who} POST grant → ${res.status}, want ${ROLES_OK[who]}`);
    row = userRow(t.id);
    if (row.roles.includes('SUPPORT') !== (ROLES_OK[who] === 303)) problems.push(`${who} grant: roles ${row.roles}`);
    res = await postAs(s, `/admin/users/${t.id}/roles/revoke`, { role: 'SUPPORT' });
    if (res.status !== ROLES_OK[who]) problems.push(`${who} POST revoke → ${res.status}, want ${ROLES_OK[who]}`);
    row = userRow(t.id);
    if (row.roles.length !== 0) problems.push(`${who} revoke: roles ${row.roles}`);
  }
  assert.deepEqual(problems, []);
});

test('finer rules: nobody suspends themselves; staff targets need ADMIN, SUPER_ADMIN targets SUPER_ADMIN', async () => {
  const admin = actors.ADMIN, mod = actors.MODERATOR, sa = actors.SUPER_ADMIN;
  let res = await postAs(admin.s, `/admin/users/${admin.user.id}/suspend`, { reason: 'self' });
  assert.equal(res.status, 403, 'self-suspension');
  assert.match(res.text_, /data-error/);
  const staffTarget = makeUser(['FINANCE']);
  res = await postAs(mod.s, `/admin/users/${staffTarget.id}/suspend`, { reason: 'moderator on staff' });
  assert.equal(res.status, 403, 'a MODERATOR suspending staff');
  assert.equal(userRow(staffTarget.id).status, 'active');
  const otherSa = makeUser(['SUPER_ADMIN']);
  res = await postAs(admin.s, `/admin/users/${otherSa.id}/suspend`, { reason: 'admin on super admin' });
  assert.equal(res.status, 403, 'an ADMIN suspending a SUPER_ADMIN');
  assert.equal(userRow(otherSa.id).status, 'active');
  res = await postAs(admin.s, `/admin/users/${staffTarget.id}/suspend`, { reason: 'admin on staff' });
  assert.equal(res.status, 303, 'an ADMIN suspending staff');
  res = await postAs(sa.s, `/admin/users/${otherSa.id}/suspend`, { reason: 'super admin on super admin' });
  assert.equal(res.status, 303, 'a SUPER_ADMIN suspending another');
  // the user page offers only what the caller may do
  let page = await as(mod.s, `/admin/users/${otherSa.id}`);
  assert.equal(page.status, 200);
  assert.doesNotMatch(page.text_, /\/restore"/, 'no restore form for a MODERATOR on a SUPER_ADMIN');
  assert.doesNotMatch(page.text_, /\/roles\/grant"/, 'no role forms for a MODERATOR');
  page = await as(sa.s, `/admin/users/${otherSa.id}`);
  assert.match(page.text_, /\/restore"/, 'a restore form for a SUPER_ADMIN');
  assert.match(page.text_, /\/roles\/revoke"/, 'revoke forms for a SUPER_ADMIN');
  await postAs(sa.s, `/admin/users/${otherSa.id}/restore`);
  await postAs(sa.s, `/admin/users/${staffTarget.id}/restore`);
  assert.equal(userRow(otherSa.id).status, 'active');
});

test('bad submissions change nothing: missing reason 400, wrong state 409, bad role 400, unknown user 404', async () => {
  const admin = actors.ADMIN, sa = actors.SUPER_ADMIN;
  const t = makeUser([]);
  let res = await postAs(admin.s, `/admin/users/${t.id}/suspend`, { reason: '   ' });
  assert.equal(res.status, 400);
  assert.match(res.text_, /data-error/);
  res = await postAs(admin.s, `/admin/users/${t.id}/suspend`, { reason: 'x'.repeat(501) });
  assert.equal(res.status, 400);
  assert.equal(userRow(t.id).status, 'active');
  res = await postAs(admin.s, `/admin/users/${t.id}/restore`);
  assert.equal(res.status, 409, 'restoring an active account');
  res = await postAs(sa.s, `/admin/users/${t.id}/roles/grant`, { role: 'SELLER' });
  assert.equal(res.status, 400, 'SELLER is not a staff role');
  res = await postAs(sa.s, `/admin/users/${t.id}/roles/grant`, { role: 'ROOT' });
  assert.equal(res.status, 400);
  res = await postAs(sa.s, `/admin/users/${t.id}/roles/revoke`, { role: 'ADMIN' });
  assert.equal(res.status, 409, 'revoking a role the user does not have');
  assert.deepEqual(userRow(t.id), { status: 'active', roles: [] });
  res = await as(admin.s, '/admin/users/987654321098');
  assert.equal(res.status, 404);
  res = await postAs(admin.s, '/admin/users/987654321098/suspend', { reason: 'nobody' });
  assert.equal(res.status, 404);
  res = await as(admin.s, '/admin/users?page=0');
  assert.equal(res.status, 400);
  // a form without the CSRF token is refused whoever sends it
  res = await get(`/admin/users/${t.id}/suspend`, { method: 'POST', headers: { cookie: admin.s.cookie }, body: new URLSearchParams({ reason: 'no csrf' }) });
  assert.equal(res.status, 403);
  assert.equal(userRow(t.id).status, 'active');
});

test('staff without two-factor authentication are sent to set it up', async () => {
  const u = makeUser(['SUPPORT'], { twofa: false });
  const s = redisSession(u);
  for (const path of ['/admin', '/admin/users', `/admin/users/${u.id}`, '/admin/audit']) {
    const res = await as(s, path);
    assert.equal(res.status, 303, `GET ${path}`);
    assert.equal(res.headers.get('location'), '/account/2fa?required=1');
  }
  const res = await postAs(s, `/admin/users/${target.id}/suspend`, { reason: 'no 2fa' });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/account/2fa?required=1');
  assert.equal(userRow(target.id).status, 'active');
});

test('suspend ends the target\'s sessions at once and blocks log in; restore lets them back', async () => {
  const admin = actors.ADMIN;
  const t = makeUser([]);
  // the target signs in (for real when the log-in page exists)
  let first = await login(t.email, t.password);
  const real = !first.unavailable;
  const jar = real ? { cookie: first.cookie } : redisSession(t);
  if (real) assert.equal(first.status, 303, `log in: ${first.status}`);
  assert.ok(jar.cookie, 'a session cookie');
  const jar2 = redisSession(t);	// a second device
  // signed in: /admin is 403 (not staff), not a redirect to /login
  assert.equal((await as(jar, '/admin')).status, 403);
  assert.equal((await as(jar2, '/admin')).status, 403);
  assert.equal(liveSessions(t.id), 2);

  let res = await postAs(admin.s, `/admin/users/${t.id}/suspend`, { reason: 'Spam <b>links</b> & fake reviews' });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), `/admin/users/${t.id}?done=suspended`);
  assert.equal(liveSessions(t.id), 0, 'no session left in Redis');
  // both cookie jars are anonymous now: /admin sends them to log in
  for (const j of [jar, jar2]) {
    const r = await as(j, '/admin');
    assert.equal(r.status, 303);
    assert.match(r.headers.get('location'), /^\/login\?next=/);
  }
  const page = await as(admin.s, `/admin/users/${t.id}?done=suspended`);
  assert.equal(page.status, 200);
  assert.match(page.text_, /data-done="suspended"/);
  assert.match(page.text_, /data-status="suspended"/);
  assert.match(page.text_, /Spam &lt;b&gt;links&lt;\/b&gt; &amp; fake reviews/, 'the reason, escaped');
  assert.match(page.text_, /data-sessions="0"/);
  assert.equal(psql(`SELECT suspended_reason FROM users WHERE id = ${t.id}`), 'Spam <b>links</b> & fake reviews');
  if (real) {
    const again = await login(t.email, t.password);
    assert.notEqual(again.status, 303, 'a suspended account cannot log in');
    assert.equal(again.cookie, null);
  }

  res = await postAs(admin.s, `/admin/users/${t.id}/restore`);
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), `/admin/users/${t.id}?done=restored`);
  assert.equal(userRow(t.id).status, 'active');
  assert.equal(psql(`SELECT suspended_reason IS NULL AND suspended_at IS NULL FROM users WHERE id = ${t.id}`), 't');
  if (real) {
    const back = await login(t.email, t.password);
    assert.equal(back.status, 303, 'a restored account logs in');
    assert.ok(back.cookie);
    assert.equal((await as({ cookie: back.cookie }, '/admin')).status, 403);
  }
  // both changes are in the audit log, by the ADMIN, with before and after
  const rows = psql(`SELECT action || ' ' || actor_id || ' ' || (before->>'status') || ' ' || (after->>'status')
                     FROM audit_log WHERE entity_type = 'user' AND entity_id = '${t.id}'
                     AND action IN ('user.suspend', 'user.restore') ORDER BY id`).split('\n');
  assert.deepEqual(rows, [`user.suspend ${admin.user.id} active suspended`, `user.restore ${admin.user.id} suspended active`]);
});

test('SUPER_ADMIN grants and revokes staff roles: audited, the target\'s sessions end', async () => {
  const sa = actors.SUPER_ADMIN;
  const t = makeUser([]);
  let ts = redisSession(t);
  let res = await postAs(sa.s, `/admin/users/${t.id}/roles/grant`, { role: 'MODERATOR' });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), `/admin/users/${t.id}?done=granted`);
  assert.deepEqual(userRow(t.id).roles, ['MODERATOR']);
  assert.equal(liveSessions(t.id), 0, 'the old session (with the old roles) ended');
  assert.equal((await as(ts, '/admin')).status, 303, 'the old cookie is anonymous');
  // with a new session and 2FA the new moderator is let in
  enableTwofa(t.id);
  t.roles = ['MODERATOR'];
  ts = redisSession(t);
  assert.equal((await as(ts, '/admin')).status, 200);

  res = await postAs(sa.s, `/admin/users/${t.id}/roles/grant`, { role: 'MODERATOR' });
  assert.equal(res.status, 409, 'granting a held role');
  res = await postAs(sa.s, `/admin/users/${t.id}/roles/revoke`, { role: 'MODERATOR' });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), `/admin/users/${t.id}?done=revoked`);
  assert.deepEqual(userRow(t.id).roles, []);
  assert.equal((await as(ts, '/admin')).status, 303, 'revoked: the session ended');

  const audit = psql(`SELECT action || ' ' || actor_id || ' ' || (before->'roles')::text || ' ' || (after->'roles')::text
                      FROM audit_log WHERE entity_type = 'user' AND entity_id = '${t.id}' AND action LIKE 'role.%' ORDER BY id`).split('\n');
  assert.deepEqual(audit, [`role.grant ${sa.user.id} [] ["MODERATOR"]`, `role.revoke ${sa.user.id} ["MODERATOR"] []`]);

  // the viewer shows them, before/after pretty-printed and escaped
  const html = (await as(sa.s, `/admin/audit?action=role&entity_type=user&entity_id=${t.id}`)).text_;
  const rows = auditRows(html);
  assert.deepEqual(rows.map((r) => r.action), ['role.revoke', 'role.grant']);
  assert.match(rows[1].html, /<pre class="admin-json__body admin-json__after">[\s\S]*&quot;MODERATOR&quot;/);
  assert.match(rows[1].html, new RegExp(`@${sa.user.handle}`));
});

test('a SUPER_ADMIN changing their own roles gets a new session token with the new roles', async () => {
  const me = makeUser(['SUPER_ADMIN', 'SUPPORT']);
  const s = redisSession(me);
  const other = redisSession(me);	// another device
  let res = await postAs(s, `/admin/users/${me.id}/roles/revoke`, { role: 'SUPPORT' });
  assert.equal(res.status, 303);
  const fresh = cookieOf(res, 'souk_sess');
  assert.ok(fresh && fresh.value && `souk_sess=${fresh.value}` !== s.cookie, 'a rotated token');
  assert.equal((await as(s, '/admin')).status, 303, 'the old token is dead');
  assert.equal((await as(other, '/admin')).status, 303, 'the other device is signed out');
  const now = { cookie: `souk_sess=${fresh.value}` };
  assert.equal((await as(now, '/admin')).status, 200);
  // giving up SUPER_ADMIN (others exist) leaves no staff role: sent home
  const again = await as(now, `/admin/users/${me.id}`);
  const csrf = again.text_.match(/name="csrf" value="([0-9a-f]{64})"/)[1];
  res = await postAs({ cookie: now.cookie, csrf }, `/admin/users/${me.id}/roles/revoke`, { role: 'SUPER_ADMIN' });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/');
  const last = cookieOf(res, 'souk_sess');
  assert.equal((await as({ cookie: `souk_sess=${last.value}` }, '/admin')).status, 403, 'signed in, no longer staff');
  assert.deepEqual(userRow(me.id).roles, []);
});

test('audit-log viewer filters by action, actor, entity and dates', async () => {
  const sa = actors.SUPER_ADMIN, admin = actors.ADMIN;
  const t = makeUser([]);
  await postAs(admin.s, `/admin/users/${t.id}/suspend`, { reason: 'filter test' });
  await postAs(admin.s, `/admin/users/${t.id}/restore`);

  let html = (await as(sa.s, '/admin/audit?action=user.suspend')).text_;
  let rows = auditRows(html);
  assert.ok(rows.length > 0);
  assert.ok(rows.every((r) => r.action === 'user.suspend'), 'only user.suspend');

  html = (await as(sa.s, '/admin/audit?action=user')).text_;
  rows = auditRows(html);
  assert.ok(rows.length > 0 && rows.every((r) => r.action.startsWith('user.')), 'a dotted prefix');

  for (const actor of [admin.user.handle, `@${admin.user.handle}`, String(admin.user.id)]) {
    html = (await as(sa.s, `/admin/audit?actor=${encodeURIComponent(actor)}`)).text_;
    rows = auditRows(html);
    assert.ok(rows.length >= 2, `rows by ${actor}`);
    assert.ok(rows.every((r) => r.html.includes(`@${admin.user.handle}<`)), `only ${actor}'s actions`);
  }

  html = (await as(sa.s, `/admin/audit?entity_type=user&entity_id=${t.id}`)).text_;
  assert.deepEqual(auditRows(html).map((r) => r.action), ['user.restore', 'user.suspend', 'user.create']);
  assert.match(html, /data-total="3"/);
  html = (await as(sa.s, `/admin/audit?entity_type=user&entity_id=${t.id}&action=user.suspend`)).text_;
  assert.deepEqual(auditRows(html).map((r) => r.action), ['user.suspend'], 'filters combine');

  const today = new Date().toISOString().slice(0, 10);
  html = (await as(sa.s, `/admin/audit?entity_type=user&entity_id=${t.id}&from=${today}&to=${today}`)).text_;
  assert.equal(auditRows(html).length, 3, 'today');
  html = (await as(sa.s, `/admin/audit?entity_type=user&entity_id=${t.id}&from=2001-01-01&to=2001-12-31`)).text_;
  assert.equal(auditRows(html).length, 0, 'another year');
  html = (await as(sa.s, '/admin/audit?actor=nobody_with_this_handle')).text_;
  assert.equal(auditRows(html).length, 0);

  for (const bad of ['from=2025-02-30', 'to=yesterday', 'action=User.Suspend', 'actor=a%20b', 'page=x']) {
    assert.equal((await as(sa.s, `/admin/audit?${bad}`)).status, 400, bad);
  }
});

test('user search: text, role and status filters; wildcards are literal', async () => {
  const sup = actors.SUPPORT;
  let html = (await as(sup.s, `/admin/users?q=${RUN}`)).text_;
  const ids = [...html.matchAll(/data-user-id="(\d+)"/g)].map((m) => Number(m[1]));
  for (const who of ['buyer', 'seller', ...STAFF]) assert.ok(ids.includes(actors[who].user.id), `${who} found by the run tag`);

  html = (await as(sup.s, `/admin/users?q=${RUN}&role=SUPER_ADMIN`)).text_;
  const sas = [...html.matchAll(/data-user-id="(\d+)"/g)].map((m) => Number(m[1]));
  assert.ok(sas.includes(actors.SUPER_ADMIN.user.id));
  assert.ok(!sas.includes(actors.ADMIN.user.id), 'only SUPER_ADMINs');

  html = (await as(sup.s, `/admin/users?q=${encodeURIComponent(actors.FINANCE.user.email.toUpperCase())}`)).text_;
  assert.deepEqual([...html.matchAll(/data-user-id="(\d+)"/g)].map((m) => Number(m[1])), [actors.FINANCE.user.id], 'by e-mail, any case');

  html = (await as(sup.s, '/admin/users?q=%25%25%25')).text_;
  assert.match(html, /data-total="0"/, '% is not a wildcard');
  html = (await as(sup.s, `/admin/users?q=${RUN.slice(0, -1)}_`)).text_;
  assert.match(html, /data-total="0"/, '_ is not a wildcard');

  html = (await as(sup.s, `/admin/users?q=${RUN}&status=suspended`)).text_;
  assert.ok([...html.matchAll(/data-user-id="(\d+)"/g)].every((m) => psql(`SELECT status FROM users WHERE id = ${m[1]}`) === 'suspended'));
  // unknown filter values are ignored, as everywhere
  assert.equal((await as(sup.s, '/admin/users?role=GOD&status=zombie')).status, 200);
});

test('dashboard shows the counts and recent activity', async () => {
  const res = await as(actors.FINANCE.s, '/admin');
  assert.equal(res.status, 200);
  for (const k of ['users', 'sellers', 'active_gigs', 'signups_7d', 'suspended', 'staff']) {
    assert.match(res.text_, new RegExp(`data-count="${k}">\\d+<`), k);
  }
  // other test files add users meanwhile: the count lies between before and after
  const users = Number(res.text_.match(/data-count="users">(\d+)</)[1]);
  assert.ok(users >= 9 && users <= Number(psql("SELECT count(*) FROM users WHERE status <> 'deleted'")), `users ${users}`);
  assert.ok(auditRows(res.text_).length > 0, 'recent audit entries');
  assert.match(stripTags(res.text_), new RegExp(`Signed in as @${actors.FINANCE.user.handle}`));
});

test('soukctl user create: exit 0 and the id; the user logs in; refusals exit non-zero', async () => {
  const email = `ctl-${RUN}@example.test`, handle = `ctl_${RUN}`, password = 'correct horse battery';
  let r = soukctl(['user', 'create', '--email', email, '--handle', handle, '--password', password, '--role', 'SUPPORT', '--role', 'FINANCE']);
  assert.equal(r.status, 0, r.stderr);
  const id = Number(r.stdout.trim());
  assert.ok(id > 0);
  assert.equal(psql(`SELECT handle || ' ' || status || ' ' || (email_verified_at IS NOT NULL) || ' ' || (password_hash LIKE '$argon2id$%') FROM users WHERE id = ${id}`),
    `${handle} active true true`);
  assert.deepEqual(userRow(id).roles, ['FINANCE', 'SUPPORT']);
  assert.equal(psql(`SELECT count(*) FROM audit_log WHERE action = 'user.create' AND entity_id = '${id}'`), '1');

  // a plain buyer made the same way logs in through the site
  const b = { email: `ctlb-${RUN}@example.test`, handle: `ctlb_${RUN}`, password: 'another long passphrase' };
  r = soukctl(['user', 'create', '--email', b.email, '--handle', b.handle, '--password-stdin'], b.password + '\n');
  assert.equal(r.status, 0, r.stderr);
  const li = await login(b.handle, b.password);
  if (!li.unavailable) {
    assert.equal(li.status, 303, 'log in with the soukctl password');
    assert.ok(li.cookie);
  }

  r = soukctl(['user', 'create', '--email', email.toUpperCase(), '--handle', `ctlz_${RUN}`, '--password', password]);
  assert.equal(r.status, 1, 'the e-mail is taken (any case)');
  assert.match(r.stderr, /already taken/);
  r = soukctl(['user', 'create', '--email', `ctly-${RUN}@example.test`, '--handle', `ctly_${RUN}`, '--password', 'short']);
  assert.equal(r.status, 1, 'a short password');
  r = soukctl(['user', 'create', '--email', `ctly-${RUN}@example.test`, '--handle', `ctly_${RUN}`, '--password', `ctly_${RUN}`]);
  assert.equal(r.status, 1, 'the password is the handle');
  r = soukctl(['user', 'create', '--email', `ctly-${RUN}@example.test`, '--handle', 'admin', '--password', password]);
  assert.equal(r.status, 1, 'a reserved handle');
  r = soukctl(['user', 'create', '--email', `ctly-${RUN}@example.test`, '--handle', `ctly_${RUN}`, '--password', password, '--role', 'ROOT']);
  assert.equal(r.status, 2, 'an unknown role');
  r = soukctl(['user', 'create', '--email', 'not-an-email', '--handle', `ctly_${RUN}`, '--password', password]);
  assert.equal(r.status, 1, 'a bad e-mail');
  assert.equal(psql(`SELECT count(*) FROM users WHERE handle = 'ctly_${RUN}'`), '0');
});
