// The gig moderation queue (/admin/moderation, src/moderation/): who may
// see and decide (MODERATOR, ADMIN, SUPER_ADMIN with 2FA; SUPPORT, buyers
// and sellers 403; anonymous GET → /login), approve → listed and found by
// search, request changes → the seller sees the note on My gigs, deny,
// a decided gig → 409, each decision audited and mailed to the seller.
//
// Users are made with soukctl and gigs straight in PostgreSQL; staff get
// 2FA by a user_totp row and sessions are written into Redis the way
// tests/e2e/admin.test.mjs does.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  get, cacheBuster, until, stripTags, psql, soukctlUser, redisSession, anonSession, as, postAs, runTag,
} from './helpers.mjs';

const MAIL_DIR = process.env.SOUK_MAIL_DIR ? resolve(process.env.SOUK_MAIL_DIR) : null;
const RUN = runTag();

let seq = 0;
function makeUser(roles = [], { twofa = true } = {}) {
  const n = ++seq;
  // sellers have a public profile (onboarding writes it): the gig page needs one
  return soukctlUser(`mod_${n}_${RUN}`, `mod-${n}-${RUN}@example.test`, roles,
    { twofa, profile: `Test seller ${RUN}` });
}

let gigSeq = 0;
/** A gig of @seller in pending_review with a Basic package: {id, slug, title, word}. */
function pendingGig(seller) {
  const n = ++gigSeq;
  const word = `zqmod${RUN}x${n}`.replace(/[^a-z0-9]/g, '');
  const title = `Moderated logo design ${word}`;
  const slug = `moderated-logo-${RUN}-${n}`.replace(/_/g, '-');
  const id = Number(psql(`INSERT INTO gigs (seller_id, category_id, title, slug, description, status, tags)
    SELECT ${seller.id}, c.id, '${title}', '${slug}', 'A test gig for moderation.', 'draft', '{}'
    FROM categories c WHERE c.parent_id IS NOT NULL ORDER BY c.id LIMIT 1 RETURNING id`).split('\n')[0]);
  psql(`INSERT INTO gig_packages (gig_id, tier, name, price_minor, currency, delivery_days)
        VALUES (${id}, 'basic', 'Basic logo', 2500, 'USD', 3)`);
  psql(`UPDATE gigs SET status = 'pending_review', submitted_at = now() - interval '${10 - n} minutes' WHERE id = ${id}`);
  return { id, slug, title, word };
}

const status = (id) => psql(`SELECT status || '|' || coalesce(review_note, '') FROM gigs WHERE id = ${id}`).split('|');

function mails() {
  if (!MAIL_DIR || !existsSync(MAIL_DIR)) return [];
  return readdirSync(MAIL_DIR).filter((f) => /^\d+-.*\.json$/.test(f))
    .map((f) => ({ file: f, ...JSON.parse(readFileSync(join(MAIL_DIR, f), 'utf8')) }));
}

// Approval and "needs changes" reach the seller as notifications (sql/0024), whose
// e-mail replaces the gig_decision mail; a denial still sends gig_decision.
async function expectNotificationMail(to, gigId, type, subject) {
  assert.equal(psql(`SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
    WHERE u.email = '${to}' AND n.type = '${type}' AND n.data->>'gig_id' = '${gigId}'`), '1', `one ${type} notification`);
  assert.equal(psql(`SELECT count(*) FROM jobs WHERE kind = 'mail' AND payload->>'template' = 'gig_decision'
    AND payload->>'to' = '${to}' AND payload->'data'->>'title' = (SELECT title FROM gigs WHERE id = ${gigId})`), '0',
    'no second mail of the moderation module');
  if (!MAIL_DIR) return;
  const m = await until(() => mails().find((x) => JSON.stringify(x.to).includes(to) && x.subject === subject), 10000, 200);
  assert.ok(m, `a mail "${subject}" to ${to} in ${MAIL_DIR}`);
}

async function expectMail(to, subject) {
  const job = psql(`SELECT payload->'data'->>'title' FROM jobs WHERE kind = 'mail'
    AND payload->>'template' = 'gig_decision' AND payload->>'to' = '${to}' ORDER BY id DESC LIMIT 1`);
  assert.ok(job, `a gig_decision mail job to ${to}`);
  if (!MAIL_DIR) return;
  const m = await until(() => mails().find((x) => JSON.stringify(x.to).includes(to) && x.subject === subject), 10000, 200);
  assert.ok(m, `a mail "${subject}" to ${to} in ${MAIL_DIR}`);
}

const A = {};
let seller;

before(() => {
  seller = makeUser(['SELLER']);
  A.seller = redisSession(seller);
  A.anon = anonSession();
  A.buyer = redisSession(makeUser([]));
  A.other_seller = redisSession(makeUser(['SELLER']));
  for (const r of ['SUPPORT', 'FINANCE', 'MODERATOR', 'ADMIN']) A[r] = redisSession(makeUser([r]));
  A.mod_no2fa = redisSession(makeUser(['MODERATOR'], { twofa: false }));
});

test('who may see the queue and decide', async () => {
  const g = pendingGig(seller);
  const want = { anon: 303, buyer: 403, seller: 403, other_seller: 403, SUPPORT: 403, FINANCE: 403, MODERATOR: 200, ADMIN: 200 };
  const problems = [];
  for (const [who, code] of Object.entries(want)) {
    for (const path of ['/admin/moderation', `/admin/moderation/${g.id}`]) {
      const res = await as(A[who], path);
      if (res.status !== code) problems.push(`${who} GET ${path} → ${res.status}, want ${code}`);
      if (code === 303 && !(res.headers.get('location') || '').startsWith('/login?next=%2Fadmin%2Fmoderation'))
        problems.push(`${who} GET ${path} → ${res.headers.get('location')}`);
      if (code === 200 && !/no-store/.test(res.headers.get('cache-control') || '')) problems.push(`${path}: not no-store`);
    }
    if (code !== 200) {
      for (const action of ['approve', 'deny', 'request-changes']) {
        const res = await postAs(A[who], `/admin/moderation/${g.id}/${action}`, { reason: 'no' });
        if (res.status !== 403) problems.push(`${who} POST ${action} → ${res.status}, want 403`);
      }
    }
  }
  const res = await as(A.mod_no2fa, '/admin/moderation');
  if (res.status !== 303 || res.headers.get('location') !== '/account/2fa?required=1')
    problems.push(`moderator without 2FA → ${res.status} ${res.headers.get('location')}`);
  assert.deepEqual(problems, []);
  assert.equal(status(g.id)[0], 'pending_review', 'nobody without the right changed the gig');

  const q = await as(A.MODERATOR, '/admin/moderation');
  assert.match(q.text_, new RegExp(`data-gig="${g.id}"`), 'the gig is in the queue');
  assert.match(q.text_, /href="\/admin\/moderation"[^>]*aria-current="page"/, 'the console nav marks Moderation');
  const page = await as(A.MODERATOR, `/admin/moderation/${g.id}`);
  assert.ok(stripTags(page.text_).includes(g.title), 'the review page shows the gig');
  assert.match(page.text_, /Basic logo/, 'with its packages');
});

test('approve: listed, found by search, audited, mailed; a second decision is 409', async () => {
  const g = pendingGig(seller);
  const before = await get(`/search?q=${g.word}&${cacheBuster()}`);
  assert.ok(!before.text_.includes(g.title), 'not found before approval');
  const res = await postAs(A.MODERATOR, `/admin/moderation/${g.id}/approve`);
  assert.equal(res.status, 303, res.text_.slice(0, 300));
  assert.equal(res.headers.get('location'), '/admin/moderation?done=approved');
  assert.equal(status(g.id)[0], 'active');
  const found = await get(`/search?q=${g.word}&${cacheBuster()}`);
  assert.equal(found.status, 200);
  assert.ok(found.text_.includes(g.title), 'found by search after approval');
  const pageRes = await get(`/${seller.handle}/${g.slug}?${cacheBuster()}`);
  assert.equal(pageRes.status, 200, 'the gig page is public');
  assert.equal(psql(`SELECT count(*) FROM audit_log WHERE action = 'gig.approve' AND entity_type = 'gig' AND entity_id = '${g.id}'
    AND before->>'status' = 'pending_review' AND after->>'status' = 'active'`), '1');
  await expectNotificationMail(seller.email, g.id, 'gig.approved', 'Your gig is live');
  const again = await postAs(A.ADMIN, `/admin/moderation/${g.id}/deny`, { reason: 'late' });
  assert.equal(again.status, 409);
  assert.equal(status(g.id)[0], 'active');
  const notice = await as(A.MODERATOR, '/admin/moderation?done=approved');
  assert.match(notice.text_, /data-done="approved"/);
});

test('request changes: a reason is required; the seller sees it on My gigs', async () => {
  const g = pendingGig(seller);
  const none = await postAs(A.MODERATOR, `/admin/moderation/${g.id}/request-changes`, { reason: '   ' });
  assert.equal(none.status, 400);
  assert.match(none.text_, /data-error="reason_missing"/);
  const note = `Please add a portfolio image <b>${RUN}</b>`;
  const res = await postAs(A.MODERATOR, `/admin/moderation/${g.id}/request-changes`, { reason: note });
  assert.equal(res.status, 303);
  assert.deepEqual(status(g.id), ['requires_changes', note]);
  assert.equal(psql(`SELECT count(*) FROM audit_log WHERE action = 'gig.request_changes' AND entity_id = '${g.id}'`), '1');
  const mine = await as(A.seller, '/seller/gigs?status=requires_changes');
  assert.equal(mine.status, 200);
  assert.match(mine.text_, new RegExp(`data-gig="${g.id}"`));
  assert.ok(mine.text_.includes(`Please add a portfolio image &lt;b&gt;${RUN}&lt;/b&gt;`), 'the note, escaped');
  await expectNotificationMail(seller.email, g.id, 'gig.changes', 'Your gig needs changes');
  const found = await get(`/search?q=${g.word}&${cacheBuster()}`);
  assert.ok(!found.text_.includes(g.title), 'not listed');
});

test('deny: not listed, audited, mailed', async () => {
  const g = pendingGig(seller);
  const res = await postAs(A.ADMIN, `/admin/moderation/${g.id}/deny`, { reason: 'Not allowed on Souk.' });
  assert.equal(res.status, 303);
  assert.deepEqual(status(g.id), ['denied', 'Not allowed on Souk.']);
  assert.equal(psql(`SELECT count(*) FROM audit_log WHERE action = 'gig.deny' AND entity_id = '${g.id}'`), '1');
  const found = await get(`/search?q=${g.word}&${cacheBuster()}`);
  assert.ok(!found.text_.includes(g.title), 'not listed');
  await expectMail(seller.email, `Your gig "${g.title}" was not approved`);
  const q = await as(A.MODERATOR, '/admin/moderation');
  assert.ok(!q.text_.includes(`data-gig="${g.id}"`), 'no longer in the queue');
  assert.equal((await as(A.MODERATOR, '/admin/moderation/999999999')).status, 404);
});

test('an edit of a live gig waits in the queue while the approved version stays listed', async () => {
  const g = pendingGig(seller);
  assert.equal((await postAs(A.MODERATOR, `/admin/moderation/${g.id}/approve`)).status, 303);
  const edited = `Edited logo design ${g.word}`;
  // src/studio keeps an edit of a live gig in pending_changes (sql/0010_studio.sql)
  psql(`UPDATE gigs SET pending_changes = jsonb_build_object('title', '${edited}'), submitted_at = now()
        WHERE id = ${g.id}`);
  const queue = await as(A.MODERATOR, '/admin/moderation');
  assert.ok(queue.text_.includes(edited), 'the edit is in the queue');
  const live = await get(`/${seller.handle}/${g.slug}?${cacheBuster()}`);
  assert.ok(live.text_.includes(g.title) && !live.text_.includes(edited), 'buyers still see the approved title');

  const changes = await postAs(A.MODERATOR, `/admin/moderation/${g.id}/request-changes`, { reason: 'Say what the logo includes' });
  assert.equal(changes.status, 303);
  assert.deepEqual(status(g.id), ['active', 'Say what the logo includes'], 'still listed while the seller fixes the edit');
  assert.equal(psql(`SELECT pending_changes->>'title' FROM gigs WHERE id = ${g.id}`), edited, 'the edit is kept for the seller');

  assert.equal((await postAs(A.MODERATOR, `/admin/moderation/${g.id}/approve`)).status, 303);
  assert.equal(psql(`SELECT title || '|' || status || '|' || (pending_changes IS NULL) FROM gigs WHERE id = ${g.id}`),
    `${edited}|active|true`, 'approval applies the edit');
  const after = await get(`/${seller.handle}/${g.slug}?${cacheBuster()}`);
  assert.ok(after.text_.includes(edited), 'buyers see the edited title');
  const again = await postAs(A.MODERATOR, `/admin/moderation/${g.id}/deny`, { reason: 'late' });
  assert.equal(again.status, 409, 'nothing left to decide');
});
