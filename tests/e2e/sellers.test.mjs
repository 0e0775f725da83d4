// "Become a seller" end to end, through nginx, PostgreSQL and Redis:
// the three onboarding steps (profile, payout details, identity
// verification), the SELLER role granted with the session rotated, payout
// details sealed in the database and shown masked, HTML in a bio shown as
// text, bad input answered 422 with the values kept and nothing written,
// CSRF, and the staff queue of identity verifications (/admin/verifications)
// with its role and 2FA requirements.
//
// The main account signs up through the real /signup form when the accounts
// module serves it (falling back to psql + a session written into Redis, in
// the format of src/identity/session.h, when it does not or when the sign-up
// rate limit is exhausted by other tests).  Further accounts, and staff, are
// made with psql and Redis directly: staff need 2FA, enabled here by a row
// in user_totp (sql/0008_twofa.sql).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  Browser, get, decode, stripTags, cacheBuster, sleep, assertCommonHeaders, sql, redis, sha256hex, csrfOf, writeSession,
} from './helpers.mjs';

const RUN = `${process.pid.toString(36)}${Date.now().toString(36).slice(-5)}`;

// ---- forms -------------------------------------------------------------------

/** The path of a redirect's Location. */
const locationOf = (res) => {
  const l = res.headers.get('location') || '';
  return l.startsWith('http') ? new URL(l).pathname + new URL(l).search : l;
};

/** The opening tag of the element with id=@id. */
function tagById(html, id) {
  const m = html.match(new RegExp(`<(input|select|textarea)\\b[^>]*\\bid="${id}"[^>]*>`));
  return m ? m[0] : null;
}

/** The <textarea id=@id> content, decoded. */
function textareaValue(html, id) {
  const m = html.match(new RegExp(`<textarea\\b[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</textarea>`));
  return m ? decode(m[1]) : null;
}

function inputValue(html, id) {
  const t = tagById(html, id);
  const m = t && t.match(/\bvalue="([^"]*)"/);
  return m ? decode(m[1]) : null;
}

/** Asserts @id is marked invalid and described by its message. */
function assertInvalid(html, id, errId = `${id}-error`) {
  const t = tagById(html, id);
  assert.ok(t, `a field #${id}`);
  assert.match(t, /aria-invalid="true"/, `#${id} has aria-invalid`);
  assert.match(t, new RegExp(`aria-describedby="[^"]*\\b${errId}\\b`), `#${id} is described by #${errId}`);
  const m = html.match(new RegExp(`id="${errId}"[^>]*>([\\s\\S]*?)</p>`));
  assert.ok(m && stripTags(m[1]).length > 5, `#${errId} says what is wrong`);
}

// ---- accounts --------------------------------------------------------------

const ROLE_BITS = { SELLER: 2, SUPPORT: 3, MODERATOR: 4, FINANCE: 5, ADMIN: 6, SUPER_ADMIN: 7 };
const roleMask = (roles) => roles.reduce((m, r) => m | (1 << ROLE_BITS[r]), 0);

function newUser(tag) {
  const handle = `sl_${tag}_${RUN}`.slice(0, 32);
  return { handle, email: `${handle}@example.test`, password: `Sell-${randomBytes(9).toString('base64url')}` };
}

/** A session written into Redis as session_start() writes it. */
function forgeSession(b, user, roles = []) {
  const token = writeSession(user, roleMask(roles));
  b.cookies.set('souk_sess', { value: token });
}

/** An account made with psql and signed in through a session in Redis. */
function psqlUser(tag, roles = []) {
  const user = newUser(tag);
  user.id = Number(sql("INSERT INTO users (email, handle) VALUES (:'v1', :'v2') RETURNING id",
    user.email, user.handle));
  for (const r of roles)
    sql("INSERT INTO user_roles (user_id, role) VALUES (:'v1', :'v2') ON CONFLICT DO NOTHING", user.id, r);
  user.browser = new Browser();
  forgeSession(user.browser, user, roles);
  return user;
}

/** An account made through the real sign-up form, signed in by it; null when not possible. */
async function signupUser(tag) {
  const user = newUser(tag);
  const b = new Browser();
  const form = await b.get('/signup');
  if (form.status !== 200 || !/action="\/signup"/.test(form.text_)) return null;
  const names = [...form.text_.matchAll(/<input\b[^>]*\bname="([^"]+)"[^>]*>/g)].map((m) => [m[1], m[0]]);
  for (let i = 0; i < 3; i++) {
    const fields = { csrf: csrfOf(form.text_) };
    for (const [name, tag_] of names) {
      if (name === 'csrf') continue;
      if (/mail/i.test(name)) fields[name] = user.email;
      else if (/handle|user/i.test(name)) fields[name] = user.handle;
      else if (/pass/i.test(name)) fields[name] = user.password;
      else if (/type="checkbox"/.test(tag_) && /terms|agree|accept/i.test(name)) fields[name] = 'on';
    }
    const res = await b.post('/signup', fields);
    if (res.status === 429) {
      if (Number(res.headers.get('retry-after') || 999) > 20) return null;
      await sleep(Number(res.headers.get('retry-after')) * 1000 + 200);
      continue;
    }
    assert.ok([302, 303].includes(res.status), `sign-up: ${res.status} ${stripTags(res.text_).slice(0, 300)}`);
    assert.ok(b.token, 'signed in by signing up');
    user.id = Number(sql("SELECT id FROM users WHERE handle = :'v1'", user.handle));
    user.browser = b;
    user.viaSignup = true;
    return user;
  }
  return null;
}

// ---- the forms ---------------------------------------------------------------

const BIO = 'I draw logos.\n<script>alert("bio")</script> <b>bold</b> & <img src=x onerror=alert(1)>';

function profileFields(csrf, over = {}) {
  return {
    csrf,
    display_name: 'Thandi Mokoena',
    headline: 'Brand identities for small businesses',
    bio: BIO,
    skills: 'Logo design, Branding, Illustration',
    lang_1: 'en', level_1: 'fluent',
    lang_2: 'zu', level_2: 'native',
    lang_3: '', level_3: '', lang_4: '', level_4: '', lang_5: '', level_5: '',
    country: 'ZA',
    timezone: 'Africa/Johannesburg',
    link_1: 'https://www.behance.net/thandi-m',
    link_2: 'https://dribbble.com/thandi?tab=shots',
    link_3: '', link_4: '', link_5: '',
    ...over,
  };
}

const BANK = {
  method: 'bank', holder: 'Thandi Mokoena', bank: 'fnb', branch: '250655',
  account: '62123456789', account_type: 'cheque',
};

/** Runs steps 1 and 2 for @user (step 2 with @payout); returns the final response. */
async function onboard(user, payout = BANK) {
  const b = user.browser;
  let res = await b.get('/seller/onboarding/profile');
  assert.equal(res.status, 200);
  res = await b.post('/seller/onboarding/profile', profileFields(csrfOf(res.text_)));
  assert.equal(res.status, 303, `profile saved: ${res.status} ${stripTags(res.text_).slice(0, 300)}`);
  res = await b.get('/seller/onboarding/payout');
  assert.equal(res.status, 200);
  return b.post('/seller/onboarding/payout', { csrf: csrfOf(res.text_), ...payout });
}

// ---- tests -------------------------------------------------------------------

test('anonymous visitors are sent to log in', async () => {
  const res = await get('/seller/onboarding');
  assert.equal(res.status, 303);
  assert.match(locationOf(res), /^\/login\?next=/);
  const dash = await get('/seller');
  assert.equal(dash.status, 303);
});

test('full onboarding: profile, payout, SELLER granted, session rotated, details sealed and masked', async () => {
  const user = (await signupUser('main')) || psqlUser('main');
  const b = user.browser;
  console.log(`# sellers: main account via ${user.viaSignup ? '/signup' : 'psql + Redis'}`);

  // The entry point sends a new user to step 1.
  let res = await b.get('/seller/onboarding');
  assert.equal(res.status, 303);
  assert.equal(locationOf(res), '/seller/onboarding/profile');

  res = await b.get('/seller/onboarding/profile');
  assert.equal(res.status, 200);
  assertCommonHeaders(res, 'profile form');
  assert.match(res.headers.get('cache-control') || '', /no-store/);
  assert.match(res.text_, /class="onboard-steps"/, 'a progress indicator');
  assert.match(res.text_, /aria-current="step"[^>]*>\s*<span[^>]*>1</, 'step 1 is current');
  assert.match(res.text_, /<option value="ZA"/, 'countries from the database');
  assert.match(res.text_, /<option value="zu"/, 'languages from the database');
  assert.match(res.text_, /<option value="Africa\/Johannesburg"/, 'time zones');

  res = await b.post('/seller/onboarding/profile', profileFields(csrfOf(res.text_)));
  assert.equal(res.status, 303, `profile: ${res.status} ${stripTags(res.text_).slice(0, 300)}`);
  assert.equal(locationOf(res), '/seller/onboarding/payout');
  const prof = JSON.parse(sql(`SELECT json_build_object('name', p.display_name, 'bio', p.bio,
      'skills', p.skills, 'languages', p.languages, 'country', p.country, 'tz', p.timezone,
      'links', o.portfolio_links, 'done', o.profile_done_at IS NOT NULL)
    FROM profiles p JOIN seller_onboarding o USING (user_id) WHERE p.user_id = :'v1'`, user.id));
  assert.equal(prof.name, 'Thandi Mokoena');
  assert.equal(prof.bio, BIO, 'the bio is stored as typed');
  assert.deepEqual(prof.skills, ['Logo design', 'Branding', 'Illustration']);
  assert.deepEqual(prof.languages.map((l) => [l.code, l.level]), [['en', 'fluent'], ['zu', 'native']]);
  assert.equal(prof.languages[1].name, 'Zulu');
  assert.equal(prof.country, 'ZA');
  assert.equal(prof.tz, 'Africa/Johannesburg');
  assert.deepEqual(prof.links, ['https://www.behance.net/thandi-m', 'https://dribbble.com/thandi?tab=shots']);
  assert.equal(prof.done, true);
  assert.equal(sql("SELECT count(*) FROM user_roles WHERE user_id = :'v1' AND role = 'SELLER'", user.id), '0',
    'not a seller after step 1 alone');

  // Step 2 completes onboarding: the role, a new session token.
  const oldToken = b.token;
  res = await b.get('/seller/onboarding/payout');
  assert.equal(res.status, 200);
  assert.match(res.text_, /aria-current="step"[^>]*>\s*<span[^>]*>2</, 'step 2 is current');
  res = await b.post('/seller/onboarding/payout', { csrf: csrfOf(res.text_), ...BANK });
  assert.equal(res.status, 303, `payout: ${res.status} ${stripTags(res.text_).slice(0, 300)}`);
  assert.equal(locationOf(res), '/seller?welcome=1');
  const newToken = b.token;
  assert.ok(newToken && newToken !== oldToken, 'the session token was rotated');
  assert.match(b.cookies.get('souk_sess').raw, /HttpOnly/i);

  assert.equal(sql("SELECT count(*) FROM user_roles WHERE user_id = :'v1' AND role = 'SELLER'", user.id), '1');
  assert.equal(sql(`SELECT count(*) FROM audit_log WHERE action = 'role.grant' AND actor_id = :'v1'
    AND entity_type = 'user' AND entity_id = :'v1' AND after->>'role' = 'SELLER'`, user.id), '1',
  'the grant is audited with the user as actor');
  const roles = Number(redis('HGET', `sess:${sha256hex(newToken)}`, 'roles').replace(/"/g, ''));
  assert.ok(roles & (1 << ROLE_BITS.SELLER), 'the new session carries SELLER');
  assert.equal(redis('EXISTS', `sess:${sha256hex(oldToken)}`).replace(/\D/g, ''), '0', 'the old session is gone');

  // The old token is anonymous now.
  const stale = new Browser();
  stale.cookies.set('souk_sess', { value: oldToken });
  res = await stale.get('/seller');
  assert.equal(res.status, 303);
  assert.match(locationOf(res), /^\/login/);

  // Sealed in the database: no trace of the details in clear.
  const row = sql("SELECT method || ' ' || details_sealed FROM seller_payouts WHERE user_id = :'v1'", user.id);
  const [method, sealed] = row.split(' ');
  assert.equal(method, 'bank');
  assert.match(sealed, /^[A-Za-z0-9_-]{60,}$/, 'base64url of nonce, MAC and ciphertext');
  for (const clear of ['62123456789', '250655', 'Thandi', 'Mokoena', 'account', 'holder'])
    assert.ok(!sealed.includes(clear), `the sealed details do not contain ${clear}`);
  for (const clear of ['62123456789', 'Mokoena'])
    assert.equal(sql("SELECT count(*) FROM audit_log WHERE (before::text || after::text) LIKE '%' || :'v1' || '%'", clear), '0',
      `the audit log does not contain ${clear}`);

  // The dashboard: masked details, status, links.
  res = await b.get('/seller?welcome=1');
  assert.equal(res.status, 200, stripTags(res.text_).slice(0, 300));
  const text = stripTags(res.text_);
  assert.match(text, /You are now a seller/);
  assert.match(text, /First National Bank \(FNB\)/);
  assert.match(text, /•••• 6789/, 'the account number masked');
  assert.match(text, /T••• M•••/, 'the holder masked');
  assert.ok(!res.text_.includes('62123456789') && !res.text_.includes('Mokoena</dd>'), 'never the full value in HTML');
  assert.match(text, /Not verified/);
  assert.match(res.text_, new RegExp(`href="/u/${user.handle}"`), 'a link to the public profile');
  for (const href of ['/seller/onboarding/profile', '/seller/onboarding/payout', '/seller/onboarding/identity'])
    assert.ok(res.text_.includes(`href="${href}"`), `a link to ${href}`);

  // The payout form never shows saved details again.
  res = await b.get('/seller/onboarding/payout');
  assert.ok(!res.text_.includes('62123456789') && !res.text_.includes('250655'), 'the edit form is empty');
  assert.match(stripTags(res.text_), /•••• 6789/);

  // HTML in the bio is text on the public profile.
  res = await get(`/u/${user.handle}?${cacheBuster()}`);
  assert.equal(res.status, 200);
  assert.ok(!res.text_.includes('<script>alert("bio")'), 'no script from the bio');
  assert.ok(!/<img src=x/i.test(res.text_), 'no markup from the bio');
  assert.match(res.text_, /&lt;script&gt;alert\(&quot;bio&quot;\)&lt;\/script&gt;/, 'the bio shown escaped');
  assert.match(stripTags(res.text_), /Logo design/);

  // Onboarding again now leads to identity verification.
  res = await b.get('/seller/onboarding');
  assert.equal(locationOf(res), '/seller/onboarding/identity');
});

test('PayPal and Alipay details are masked too; changing them is audited without the details', async () => {
  const user = psqlUser('pp');
  let res = await onboard(user, { method: 'paypal', paypal_email: 'jane.doe@example.com' });
  assert.equal(res.status, 303);
  res = await user.browser.get('/seller');
  assert.equal(res.status, 200);
  assert.match(stripTags(res.text_), /j•••@example\.com/);
  assert.ok(!res.text_.includes('jane.doe@'), 'the address is not shown in full');

  res = await user.browser.get('/seller/onboarding/payout');
  res = await user.browser.post('/seller/onboarding/payout',
    { csrf: csrfOf(res.text_), method: 'alipay', alipay_account: '+86 138 1234 5678' });
  assert.equal(res.status, 303);
  assert.equal(locationOf(res), '/seller', 'already a seller: back to the dashboard');
  res = await user.browser.get('/seller');
  assert.match(stripTags(res.text_), /\+86 •••• 5678/);
  assert.ok(!res.text_.includes('13812345678'));
  assert.equal(sql("SELECT method FROM seller_payouts WHERE user_id = :'v1'", user.id), 'alipay');
  assert.equal(sql(`SELECT string_agg(coalesce(before->>'method', '-') || '>' || (after->>'method'), ',' ORDER BY id)
    FROM audit_log WHERE action = 'seller.payout' AND entity_id = :'v1'`, user.id), '->paypal,paypal>alipay');
  assert.equal(sql("SELECT count(*) FROM audit_log WHERE action = 'role.grant' AND entity_id = :'v1'", user.id), '1',
    'the role is granted once');
});

test('bad input: 422, messages next to the fields, values kept, nothing written', async () => {
  const user = psqlUser('bad');
  const b = user.browser;
  let res = await b.get('/seller/onboarding/profile');
  const csrf = csrfOf(res.text_);
  const longName = 'N'.repeat(61);
  const bio = `<i>x</i> ${'b'.repeat(2000)}`;
  const skills = Array.from({ length: 16 }, (_, i) => `skill${i}`).join(', ');
  res = await b.post('/seller/onboarding/profile', profileFields(csrf, {
    display_name: longName, bio, skills, country: 'XX', timezone: 'Mars/Olympus_Mons',
    lang_2: 'en', level_2: 'basic', lang_3: 'qq', level_3: 'basic', lang_4: 'fr', level_4: '',
    lang_5: 'zu', level_5: 'native',
    link_1: 'http://insecure.example.com/', link_2: 'javascript:alert(1)', link_3: 'https://ok.example.com/',
    link_4: `https://example.com/${'a'.repeat(300)}`,
  }));
  assert.equal(res.status, 422, stripTags(res.text_).slice(0, 300));
  assertCommonHeaders(res, '422 profile');
  const html = res.text_;
  assert.match(html, /role="alert"/, 'an error summary');
  assertInvalid(html, 'display_name');
  assertInvalid(html, 'bio');
  assertInvalid(html, 'skills');
  assertInvalid(html, 'country');
  assertInvalid(html, 'timezone');
  assertInvalid(html, 'lang_2');
  assertInvalid(html, 'lang_3');
  assertInvalid(html, 'level_4', 'lang_4-error');
  assertInvalid(html, 'link_1');
  assertInvalid(html, 'link_2');
  assertInvalid(html, 'link_4');
  assert.doesNotMatch(tagById(html, 'link_3'), /aria-invalid/, 'a good link is not marked');
  assert.doesNotMatch(tagById(html, 'headline'), /aria-invalid/, 'a good field is not marked');
  // Values as typed, escaped.
  assert.equal(inputValue(html, 'display_name'), longName);
  assert.equal(textareaValue(html, 'bio'), bio);
  assert.ok(!html.includes('<i>x</i>'), 'the bio is escaped in the form');
  assert.equal(inputValue(html, 'skills'), skills);
  assert.equal(inputValue(html, 'link_1'), 'http://insecure.example.com/');
  assert.equal(inputValue(html, 'link_3'), 'https://ok.example.com/');
  assert.match(tagById(html, 'headline'), /value="Brand identities for small businesses"/);
  assert.match(html, /<option value="zu" selected>/, 'the chosen language kept');
  assert.equal(sql("SELECT count(*) FROM profiles WHERE user_id = :'v1'", user.id), '0', 'no profile written');
  assert.equal(sql("SELECT count(*) FROM seller_onboarding WHERE user_id = :'v1'", user.id), '0');

  // Each limit on its own, just over and just at.
  for (const [over, field] of [[{ display_name: '' }, 'display_name'], [{ headline: 'h'.repeat(121) }, 'headline'],
    [{ skills: `ok, ${'s'.repeat(41)}` }, 'skills'], [{ display_name: 'Tab\there' }, 'display_name']]) {
    res = await b.post('/seller/onboarding/profile', profileFields(csrf, over));
    assert.equal(res.status, 422, `${JSON.stringify(over).slice(0, 60)} → ${res.status}`);
    assertInvalid(res.text_, field);
  }
  res = await b.post('/seller/onboarding/profile', profileFields(csrf, {
    display_name: '名'.repeat(60), headline: 'h'.repeat(120), bio: '字'.repeat(2000),
    skills: Array.from({ length: 15 }, (_, i) => `${'s'.repeat(38)}${String(i).padStart(2, '0')}`).join(','),
  }));
  assert.equal(res.status, 303, `limits are inclusive: ${res.status} ${stripTags(res.text_).slice(0, 200)}`);

  // Payout: every method's own rules; nothing stored.
  res = await b.get('/seller/onboarding/payout');
  const pc = csrfOf(res.text_);
  res = await b.post('/seller/onboarding/payout', { csrf: pc, method: 'bank', holder: 'Thandi', bank: 'hsbc',
    branch: '12345', account: '12ab5678', account_type: '' });
  assert.equal(res.status, 422);
  for (const f of ['bank', 'branch', 'account']) assertInvalid(res.text_, f);
  assert.match(res.text_, /id="account_type-error"/);
  assert.equal(inputValue(res.text_, 'branch'), '12345', 'values kept');
  assert.equal(inputValue(res.text_, 'holder'), 'Thandi');
  assert.match(res.text_, /<input type="radio" name="method" value="bank" checked>/);
  res = await b.post('/seller/onboarding/payout', { csrf: pc, method: 'bank', holder: 'Thandi', bank: 'fnb',
    branch: '250655', account: '123456789012', account_type: 'savings' });
  assert.equal(res.status, 422, '12 digits is too long');
  assertInvalid(res.text_, 'account');
  res = await b.post('/seller/onboarding/payout', { csrf: pc, method: 'paypal', paypal_email: 'not-an-email' });
  assert.equal(res.status, 422);
  assertInvalid(res.text_, 'paypal_email');
  assert.equal(inputValue(res.text_, 'paypal_email'), 'not-an-email');
  for (const acct of ['13812345678', '+86 238 1234 5678', '+86 138 1234 567', 'li@wei'])
  {
    res = await b.post('/seller/onboarding/payout', { csrf: pc, method: 'alipay', alipay_account: acct });
    assert.equal(res.status, 422, `alipay ${acct}`);
    assertInvalid(res.text_, 'alipay_account');
  }
  res = await b.post('/seller/onboarding/payout', { csrf: pc, method: 'cash' });
  assert.equal(res.status, 422);
  assert.match(res.text_, /id="method-error"/);
  assert.equal(sql("SELECT count(*) FROM seller_payouts WHERE user_id = :'v1'", user.id), '0', 'no payout written');
  assert.equal(sql("SELECT count(*) FROM user_roles WHERE user_id = :'v1'", user.id), '0', 'no role');
});

test('CSRF: a form without its token gets 403 and changes nothing', async () => {
  const user = psqlUser('csrf');
  const b = user.browser;
  const noToken = profileFields('');
  delete noToken.csrf;
  let res = await b.post('/seller/onboarding/profile', noToken);
  assert.equal(res.status, 403);
  res = await b.post('/seller/onboarding/profile', profileFields('0'.repeat(64)));
  assert.equal(res.status, 403, 'a wrong token too');
  res = await b.post('/seller/onboarding/payout', { ...BANK });
  assert.equal(res.status, 403);
  res = await b.post('/seller/onboarding/identity', {});
  assert.equal(res.status, 403);
  assert.equal(sql("SELECT count(*) FROM profiles WHERE user_id = :'v1'", user.id), '0');
  assert.equal(sql("SELECT count(*) FROM seller_payouts WHERE user_id = :'v1'", user.id), '0');
});

test('staff verification: buyers refused, 2FA required, reject with a reason, verify; all audited', async () => {
  // A seller asks for verification.
  const seller = psqlUser('ver');
  let res = await onboard(seller);
  assert.equal(res.status, 303);
  const sb = seller.browser;
  res = await sb.get('/seller/onboarding/identity');
  assert.equal(res.status, 200);
  assert.match(stripTags(res.text_), /document/i, 'the page says document upload comes later');
  assert.match(res.text_, /aria-current="step"[^>]*>\s*<span[^>]*>3</, 'step 3 is current');
  res = await sb.post('/seller/onboarding/identity', { csrf: csrfOf(res.text_) });
  assert.equal(res.status, 303);
  assert.equal(sql("SELECT status FROM seller_verifications WHERE user_id = :'v1'", seller.id), 'pending');
  res = await sb.get('/seller/onboarding/identity');
  assert.match(stripTags(res.text_), /Pending/);
  assert.doesNotMatch(res.text_, /Submit for verification/, 'no second request while pending');

  // A buyer, or the seller, cannot reach the staff pages.
  res = await sb.get('/admin/verifications');
  assert.equal(res.status, 403);
  const buyer = psqlUser('buyer');
  res = await buyer.browser.get('/admin/verifications');
  assert.equal(res.status, 403);
  res = await buyer.browser.get('/seller/onboarding/profile');
  res = await buyer.browser.post(`/admin/verifications/${seller.id}`,
    { csrf: csrfOf(res.text_), decision: 'verified' });
  assert.equal(res.status, 403);
  res = await get('/admin/verifications');
  assert.equal(res.status, 303, 'anonymous: to log in');

  // SUPPORT is staff but may not decide; a moderator must have 2FA.
  const support = psqlUser('sup', ['SUPPORT']);
  sql("INSERT INTO user_totp (user_id, secret_sealed, confirmed_at) VALUES (:'v1', 'test', now())", support.id);
  res = await support.browser.get('/admin/verifications');
  assert.equal(res.status, 403, 'SUPPORT cannot decide verifications');
  const mod = psqlUser('mod', ['MODERATOR']);
  res = await mod.browser.get('/admin/verifications');
  assert.equal(res.status, 303, 'a moderator without 2FA is sent to set it up');
  assert.match(locationOf(res), /^\/account\/2fa/);
  sql("INSERT INTO user_totp (user_id, secret_sealed, confirmed_at) VALUES (:'v1', 'test', now())", mod.id);

  res = await mod.browser.get('/admin/verifications');
  assert.equal(res.status, 200, stripTags(res.text_).slice(0, 300));
  assert.match(res.text_, new RegExp(`id="seller-${seller.id}"`), 'the seller is in the queue');
  assert.match(res.text_, new RegExp(`action="/admin/verifications/${seller.id}"`));
  const csrf = csrfOf(res.text_);

  // Rejected needs a reason; no decision is refused too.
  res = await mod.browser.post(`/admin/verifications/${seller.id}`, { csrf, decision: 'rejected', reason: '  ' });
  assert.equal(res.status, 422);
  assertInvalid(res.text_, `reason-${seller.id}`);
  assert.match(res.text_, /name="decision" value="rejected" checked/, 'the decision kept');
  res = await mod.browser.post(`/admin/verifications/${seller.id}`, { csrf, decision: 'maybe', reason: '' });
  assert.equal(res.status, 422);
  assert.equal(sql("SELECT status FROM seller_verifications WHERE user_id = :'v1'", seller.id), 'pending');

  const reason = 'The name does not match <the> documents';
  res = await mod.browser.post(`/admin/verifications/${seller.id}`, { csrf, decision: 'rejected', reason });
  assert.equal(res.status, 303, stripTags(res.text_).slice(0, 300));
  assert.equal(sql(`SELECT status || '|' || reason || '|' || reviewed_by FROM seller_verifications
    WHERE user_id = :'v1'`, seller.id), `rejected|${reason}|${mod.id}`);
  res = await mod.browser.post(`/admin/verifications/${seller.id}`, { csrf, decision: 'verified' });
  assert.equal(res.status, 409, 'no longer pending');

  // The seller sees the reason (escaped), asks again, and is verified.
  res = await sb.get('/seller/onboarding/identity');
  assert.match(stripTags(res.text_), /Not accepted/);
  assert.ok(res.text_.includes('does not match &lt;the&gt; documents'), 'the reason shown escaped');
  res = await sb.post('/seller/onboarding/identity', { csrf: csrfOf(res.text_) });
  assert.equal(res.status, 303);
  res = await mod.browser.post(`/admin/verifications/${seller.id}`, { csrf, decision: 'verified', reason: '' });
  assert.equal(res.status, 303);
  assert.equal(sql("SELECT status FROM seller_verifications WHERE user_id = :'v1'", seller.id), 'verified');
  res = await sb.get('/seller');
  assert.match(stripTags(res.text_), /Verified/);

  const trail = sql(`SELECT string_agg(coalesce(actor_id::text, '-') || ':' || (before->>'status') || '>' || (after->>'status'), ',' ORDER BY id)
    FROM audit_log WHERE action = 'seller.verification' AND entity_id = :'v1'`, seller.id);
  assert.equal(trail, [`${seller.id}:none>pending`, `${mod.id}:pending>rejected`, `${seller.id}:rejected>pending`,
    `${mod.id}:pending>verified`].join(','));
});

test('Stripe connected account: acct_ id checked (422, value kept), sealed, shown masked, audited without it', async () => {
  const user = psqlUser('stc');
  const b = user.browser;
  let res = await onboard(user, { method: 'stripe', stripe_account: 'acct_12' });
  assert.equal(res.status, 422, 'too short');
  assertInvalid(res.text_, 'stripe_account');
  assert.equal(inputValue(res.text_, 'stripe_account'), 'acct_12', 'value kept');
  assert.match(res.text_, /<input type="radio" name="method" value="stripe" checked>/);
  res = await b.get('/seller/onboarding/payout');
  const pc = csrfOf(res.text_);
  for (const acct of ['', 'acct_1A2b3C4d5E6f7G8h!', 'acc_1A2b3C4d5E6f', 'cus_1A2b3C4d5E6f', 'acct_1A2b 3C4d5E6f',
    `acct_${'a'.repeat(65)}`, 'acct_1A2b3C4d5E6f<b>'])
  {
    res = await b.post('/seller/onboarding/payout', { csrf: pc, method: 'stripe', stripe_account: acct });
    assert.equal(res.status, 422, `stripe ${JSON.stringify(acct)}`);
    assertInvalid(res.text_, 'stripe_account');
    assert.equal(inputValue(res.text_, 'stripe_account'), acct, 'value kept (escaped)');
  }
  assert.ok(!res.text_.includes('<b>'), 'the kept value is escaped');
  assert.equal(sql("SELECT count(*) FROM seller_payouts WHERE user_id = :'v1'", user.id), '0', 'nothing written');

  const acct = `acct_1Souk${RUN}Zx7890`.replace(/[^A-Za-z0-9_]/g, '');
  res = await b.post('/seller/onboarding/payout', { csrf: pc, method: 'stripe', stripe_account: `  ${acct} ` });
  assert.equal(res.status, 303, `saved: ${res.status} ${stripTags(res.text_).slice(0, 300)}`);
  const [method, sealed] = sql("SELECT method || ' ' || details_sealed FROM seller_payouts WHERE user_id = :'v1'", user.id).split(' ');
  assert.equal(method, 'stripe');
  assert.ok(!sealed.includes(acct) && !sealed.includes('acct_'), 'sealed: no account id in clear');
  assert.equal(sql("SELECT count(*) FROM audit_log WHERE (before::text || after::text) LIKE '%' || :'v1' || '%'", acct), '0');
  assert.equal(sql("SELECT after->>'method' FROM audit_log WHERE action = 'seller.payout' AND entity_id = :'v1'", user.id), 'stripe');

  for (const path of ['/seller', '/seller/onboarding/payout']) {
    res = await b.get(path);
    assert.equal(res.status, 200);
    const t = stripTags(res.text_);
    assert.match(t, /Stripe \(connected account\)/);
    assert.match(t, /acct_•••• 7890/, `${path}: masked`);
    assert.ok(!res.text_.includes(acct), `${path}: never the full id`);
  }
  assert.equal(inputValue(res.text_, 'stripe_account'), '', 'saved details never put back in the form');
});
