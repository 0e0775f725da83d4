// The seller studio end to end, through nginx, PostgreSQL and Redis: a
// seller (made with psql + a session in Redis, as sellers.test.mjs does)
// creates a gig in the wizard (overview, pricing, extras, description with
// Markdown, requirements), previews it and submits it for review; bad
// input answers 422 with messages next to the fields and the values kept;
// another seller's gig is 404; an XSS corpus stored in every text field is
// escaped on the preview.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Browser, get, decode, stripTags, cacheBuster, sql, redis, sha256hex, csrfOf, insertUser, writeSession, runTag,
} from './helpers.mjs';
import { XSS } from './xss-corpus.mjs';

const RUN = runTag();


/** A seller made with psql (profile included) and signed in through a session in Redis. */
function seller(tag) {
  const u = insertUser(`st_${tag}_${RUN}`.slice(0, 32), ['SELLER'], { profile: { display_name: `Seller ${tag}` } });
  const b = new Browser();
  b.cookies.set('souk_sess', { value: writeSession(u, 1 << 2) });
  return { id: u.id, handle: u.handle, b };
}

const locationOf = (res) => {
  const l = res.headers.get('location') || '';
  return l.startsWith('http') ? new URL(l).pathname : l;
};
function tagById(html, id) {
  const m = html.match(new RegExp(`<(input|select|textarea)\\b[^>]*\\bid="${id}"[^>]*>`));
  return m ? m[0] : null;
}
function inputValue(html, id) {
  const t = tagById(html, id);
  const m = t && t.match(/\bvalue="([^"]*)"/);
  return m ? decode(m[1]) : null;
}
function assertInvalid(html, id) {
  const t = tagById(html, id);
  assert.ok(t, `a field #${id}`);
  assert.match(t, /aria-invalid="true"/, `#${id} has aria-invalid`);
  assert.match(t, new RegExp(`aria-describedby="[^"]*\\b${id}-error\\b`), `#${id} is described by its message`);
  const m = html.match(new RegExp(`id="${id}-error"[^>]*>([\\s\\S]*?)</p>`));
  assert.ok(m && stripTags(m[1]).length > 5, `#${id}-error says what is wrong`);
}

async function page(b, path) {
  const res = await b.get(path);
  assert.equal(res.status, 200, `GET ${path}: ${res.status}`);
  return res.text_;
}

function subcategory() {
  return sql('SELECT id FROM categories WHERE parent_id IS NOT NULL ORDER BY id LIMIT 1');
}

const PRICING = {
  basic_name: 'Starter', basic_description: 'One concept', basic_days: '5', basic_revisions: '1', basic_price: '25',
  standard_name: 'Standard', standard_description: 'Two concepts', standard_days: '4', standard_revisions: '3', standard_price: '50.50',
  premium_name: 'Premium', premium_description: 'Five concepts', premium_days: '3', premium_revisions: 'unlimited', premium_price: '120',
  feature_1: 'Source file', feature_2: 'Logo transparency',
  basic_f2: 'on', standard_f1: 'on', standard_f2: 'on', premium_f1: 'on', premium_f2: 'on',
};

async function createGig(s, title = 'I will design a modern logo') {
  const html = await page(s.b, '/studio/gigs/new');
  const res = await s.b.post('/studio/gigs/new', {
    csrf: csrfOf(html), title, category_id: subcategory(), tags: 'logo, branding', lang: 'en', currency: 'ZAR',
  });
  assert.equal(res.status, 303, `create: ${res.status} ${stripTags(res.text_ || '').slice(0, 300)}`);
  const m = locationOf(res).match(/^\/studio\/gigs\/(\d+)\/pricing$/);
  assert.ok(m, `to pricing: ${locationOf(res)}`);
  return Number(m[1]);
}

async function postStep(s, id, step, fields, expect = 303) {
  const html = await page(s.b, `/studio/gigs/${id}/${step}`);
  const res = await s.b.post(`/studio/gigs/${id}/${step}`, { csrf: csrfOf(html), ...fields });
  assert.equal(res.status, expect, `${step}: ${res.status} ${stripTags(res.text_ || '').slice(0, 400)}`);
  return res;
}

test('a seller completes the wizard and submits the gig for review', async () => {
  const s = seller('w');
  const id = await createGig(s);
  assert.equal(sql("SELECT status || ' ' || currency FROM gigs WHERE id = :'v1'", id), 'draft ZAR');
  let res = await postStep(s, id, 'pricing', PRICING);
  assert.equal(locationOf(res), `/studio/gigs/${id}/extras`);
  assert.equal(sql("SELECT string_agg(tier || ':' || price_minor || ':' || revisions || ':' || array_to_string(features, '|'), ',' ORDER BY price_minor) FROM gig_packages WHERE gig_id = :'v1'", id),
    'basic:2500:1:Logo transparency,standard:5050:3:Source file|Logo transparency,premium:12000:-1:Source file|Logo transparency');
  assert.equal(sql("SELECT basic_price_minor || basic_currency FROM gigs WHERE id = :'v1'", id), '2500ZAR');
  res = await postStep(s, id, 'extras', {
    fast_basic_days: '2', fast_basic_price: '10', revision_price: '5', revision_days: '1',
    custom_1_title: 'Social media kit', custom_1_price: '30', custom_1_days: '2',
  });
  assert.equal(locationOf(res), `/studio/gigs/${id}/description`);
  assert.equal(sql("SELECT count(*) FROM gig_extras WHERE gig_id = :'v1'", id), '3');
  res = await postStep(s, id, 'description', {
    description: '## What you get\n\nA **bold** logo. See [my work](https://example.com/portfolio).\n\n<script>alert(1)</script>\n\n[bad](javascript:alert(1))',
    faq_1_q: 'Do you do revisions?', faq_1_a: 'Yes.',
  });
  assert.equal(locationOf(res), `/studio/gigs/${id}/requirements`);
  const html_ = sql("SELECT description_html FROM gigs WHERE id = :'v1'", id);
  assert.match(html_, /<strong>bold<\/strong>/);
  assert.match(html_, /<a href="https:\/\/example\.com\/portfolio" rel="nofollow ugc">my work<\/a>/);
  assert.doesNotMatch(html_, /<script|javascript:/);
  res = await postStep(s, id, 'requirements', {
    req_1_q: 'What is your business called?', req_1_kind: 'text', req_1_required: 'on',
    req_2_q: 'Which style?', req_2_kind: 'choice', req_2_choices: 'Modern\nClassic\nPlayful',
    req_3_q: 'Upload your current logo', req_3_kind: 'file',
  });
  assert.equal(locationOf(res), `/studio/gigs/${id}/gallery`);
  assert.equal(sql("SELECT string_agg(kind || ':' || required, ',' ORDER BY position) FROM gig_requirements WHERE gig_id = :'v1'", id),
    'text:true,choice:false,file:false');

  const pv = await page(s.b, `/studio/gigs/${id}/publish`);
  assert.match(pv, /I will design a modern logo/);
  assert.match(pv, /class="pkg-table"/, 'the catalog gig page is the preview');
  assert.match(pv, /R 25,00/);
  assert.match(pv, /R 120,00/);
  assert.match(pv, /Social media kit/);
  assert.match(pv, /rel="nofollow ugc"/);
  assert.match(pv, /Which style\?/);
  assert.match(pv, /action="\/studio\/gigs\/\d+\/submit"/);

  res = await s.b.post(`/studio/gigs/${id}/submit`, { csrf: csrfOf(pv) });
  assert.equal(res.status, 303);
  assert.equal(sql("SELECT status FROM gigs WHERE id = :'v1'", id), 'pending_review');
  assert.equal(sql("SELECT count(*) FROM audit_log WHERE action = 'gig.status' AND entity_id = :'v1'", id), '1');
  // Not listed while pending; no editing while waiting.
  const after = await page(s.b, `/studio/gigs/${id}/publish`);
  assert.doesNotMatch(after, /action="\/studio\/gigs\/\d+\/submit"/);
  res = await s.b.post(`/studio/gigs/${id}/pricing`, { csrf: csrfOf(after), ...PRICING });
  assert.equal(res.status, 409);
  res = await s.b.post(`/studio/gigs/${id}/submit`, { csrf: csrfOf(after) });
  assert.equal(res.status, 409);
});

test('bad input is refused next to the field, values kept, nothing written', async () => {
  const s = seller('bad');
  let html = await page(s.b, '/studio/gigs/new');
  let res = await s.b.post('/studio/gigs/new', {
    csrf: csrfOf(html), title: 'x'.repeat(81), category_id: '999999999', tags: 'a, b, c, d, e, f', lang: 'en', currency: 'USD',
  });
  assert.equal(res.status, 422);
  for (const f of ['title', 'category_id', 'tags']) assertInvalid(res.text_, f);
  assert.equal(inputValue(res.text_, 'tags'), 'a, b, c, d, e, f');
  assert.equal(inputValue(res.text_, 'title'), 'x'.repeat(81));
  assert.equal(sql("SELECT count(*) FROM gigs WHERE seller_id = :'v1'", s.id), '0');

  const id = await createGig(s);
  await postStep(s, id, 'pricing', PRICING);
  const before = sql("SELECT string_agg(tier || price_minor, ',' ORDER BY tier) FROM gig_packages WHERE gig_id = :'v1'", id);
  const cases = [
    [{ basic_price: '0' }, ['basic_price']],
    [{ basic_price: '-5' }, ['basic_price']],
    [{ basic_price: 'abc' }, ['basic_price']],
    [{ standard_price: '10' }, ['standard_price']],
    [{ standard_days: '9' }, ['standard_days']],
    [{ premium_revisions: '2' }, ['premium_revisions']],
    [{ basic_name: '' }, ['basic_name']],
  ];
  for (const [over, fields] of cases) {
    res = await postStep(s, id, 'pricing', { ...PRICING, ...over }, 422);
    for (const f of fields) assertInvalid(res.text_, f);
    for (const [k, v] of Object.entries(over)) if (!/revisions/.test(k)) assert.equal(inputValue(res.text_, k), v, `${k} kept`);
    assert.equal(inputValue(res.text_, 'premium_name'), 'Premium', 'the rest kept');
  }
  assert.equal(sql("SELECT string_agg(tier || price_minor, ',' ORDER BY tier) FROM gig_packages WHERE gig_id = :'v1'", id), before);

  // Basic alone is fine.
  await postStep(s, id, 'pricing', { basic_name: 'Only', basic_days: '3', basic_revisions: '0', basic_price: '15' });
  assert.equal(sql("SELECT string_agg(tier, ',') FROM gig_packages WHERE gig_id = :'v1'", id), 'basic');

  res = await postStep(s, id, 'extras', { fast_basic_days: '3', fast_basic_price: '5' }, 422);
  assertInvalid(res.text_, 'fast_basic_days');
  res = await postStep(s, id, 'extras', { custom_1_title: 'Kit', custom_1_price: '0' }, 422);
  assertInvalid(res.text_, 'custom_1_price');
  res = await postStep(s, id, 'description', { description: '' }, 422);
  assertInvalid(res.text_, 'description');
  res = await postStep(s, id, 'requirements', { req_1_q: 'Pick', req_1_kind: 'choice', req_1_choices: 'one' }, 422);
  assertInvalid(res.text_, 'req_1_choices');

  // Submitting without a description is refused.
  html = await page(s.b, `/studio/gigs/${id}/publish`);
  res = await s.b.post(`/studio/gigs/${id}/submit`, { csrf: csrfOf(html) });
  assert.equal(res.status, 422);
  assert.equal(sql("SELECT status FROM gigs WHERE id = :'v1'", id), 'draft');
});

test("another seller's gig is 404, and buyers cannot use the studio", async () => {
  const a = seller('own'), b = seller('other');
  const id = await createGig(a);
  for (const step of ['overview', 'pricing', 'extras', 'description', 'requirements', 'publish']) {
    const res = await b.b.get(`/studio/gigs/${id}/${step}`);
    assert.equal(res.status, 404, `GET ${step}`);
  }
  const html = await page(b.b, '/studio/gigs/new');
  for (const step of ['overview', 'pricing', 'description', 'submit', 'status']) {
    const res = await b.b.post(`/studio/gigs/${id}/${step}`, { csrf: csrfOf(html), title: 'Hijacked title', action: 'archive' });
    assert.equal(res.status, 404, `POST ${step}`);
  }
  assert.equal(sql("SELECT title || ' ' || status FROM gigs WHERE id = :'v1'", id), 'I will design a modern logo draft');
  const anon = await get('/studio/gigs/new', { redirect: 'manual' });
  assert.ok([302, 303].includes(anon.status), 'anonymous: to log in');
});

test('the XSS corpus is escaped on the preview', async () => {
  const s = seller('xss');
  assert.ok(XSS.length >= 30);
  const ids = [];
  for (let i = 0; i < XSS.length; i += 2) {
    const p1 = XSS[i], p2 = XSS[i + 1] || XSS[0];
    const id = await createGig(s, `Gig ${i} ${p1}`.slice(0, 80));
    await postStep(s, id, 'overview', { title: `Gig ${i} ${p1}`.slice(0, 80), category_id: subcategory(), tags: p2.replace(/,/g, ' ').slice(0, 30), lang: 'en', currency: 'USD' });
    await postStep(s, id, 'pricing', {
      basic_name: p1.slice(0, 60), basic_description: p2, basic_days: '3', basic_revisions: '1', basic_price: '10',
      feature_1: p2.slice(0, 60), basic_f1: 'on',
    });
    await postStep(s, id, 'extras', { custom_1_title: p1.slice(0, 80), custom_1_price: '5' });
    await postStep(s, id, 'description', { description: `${p1}\n\n${p2}`, faq_1_q: p2, faq_1_a: p1 });
    await postStep(s, id, 'requirements', { req_1_q: p1, req_1_kind: 'choice', req_1_choices: `${p2}\nother` });
    ids.push([id, p1, p2]);
  }
  for (const [id, p1, p2] of ids) {
    const html = await page(s.b, `/studio/gigs/${id}/publish`);
    for (const p of [p1, p2]) {
      if (/[<>"']/.test(p)) assert.ok(!html.includes(p), `gig ${id}: payload appears raw: ${p}`);
    }
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc="\/static\/)/i, `gig ${id}: no inline <script>`);
    // Attribute values can hold escaped text: blank them before looking for handlers.
    const tags = html.replace(/"[^"]*"/g, '""');
    assert.doesNotMatch(tags, /<[a-z]+[^>]*\son[a-z]+\s*=/i, `gig ${id}: no event handler attribute`);
    assert.doesNotMatch(html, /href="\s*javascript:/i, `gig ${id}: no javascript: link`);
    assert.doesNotMatch(html, /<(iframe|object|embed|base|meta http-equiv|math|marquee|noscript|template|textarea)\b/i, `gig ${id}: no injected element`);
  }

  // The same gigs in the moderators' queue and on each decision page ...
  const m = seller('xssmod');
  sql("INSERT INTO user_roles (user_id, role) VALUES (:'v1', 'MODERATOR')", m.id);
  sql("INSERT INTO user_totp (user_id, secret_sealed, confirmed_at) VALUES (:'v1', 'e2e-not-a-secret', now())", m.id);
  redis('HSET', `sess:${sha256hex(m.b.cookies.get('souk_sess').value)}`, 'roles', String((1 << 2) | (1 << 4)));
  for (const [id] of ids)
    sql("UPDATE gigs SET status = 'pending_review', submitted_at = now() WHERE id = :'v1'", id);
  const pages = [['/admin/moderation', await page(m.b, '/admin/moderation')]];
  for (const [id] of ids) pages.push([`/admin/moderation/${id}`, await page(m.b, `/admin/moderation/${id}`)]);
  // ... and, once live, on the public gig pages and the seller's listing of cards.
  for (const [id] of ids)
    sql("UPDATE gigs SET status = 'active', approved_at = now() WHERE id = :'v1'", id);
  for (const [id] of ids) {
    const slug = sql("SELECT slug FROM gigs WHERE id = :'v1'", id);
    pages.push([`/${s.handle}/${slug}`, (await get(`/${s.handle}/${slug}?${cacheBuster()}`)).text_]);
  }
  pages.push([`/u/${s.handle}`, (await get(`/u/${s.handle}?${cacheBuster()}`)).text_]);
  for (const [where, html] of pages) {
    assert.ok(html.length > 500, `${where} rendered`);
    for (const p of XSS)
      if (/[<>"']/.test(p)) assert.ok(!html.includes(p), `${where}: payload appears raw: ${p}`);
    const tags = html.replace(/"[^"]*"/g, '""');
    assert.doesNotMatch(tags, /<[a-z]+[^>]*\son[a-z]+\s*=/i, `${where}: no event handler attribute`);
    assert.doesNotMatch(html, /href="\s*javascript:/i, `${where}: no javascript: link`);
  }
});

test('seller actions follow the status rules; editing a live gig waits for review', async () => {
  const s = seller('st');
  const id = await createGig(s, 'I will write your product descriptions');
  await postStep(s, id, 'pricing', PRICING);
  await postStep(s, id, 'description', { description: 'Approved text.' });
  let html = await page(s.b, `/studio/gigs/${id}/publish`);
  // A draft cannot be paused or activated.
  let res = await s.b.post(`/studio/gigs/${id}/status`, { csrf: csrfOf(html), action: 'pause' });
  assert.equal(res.status, 409);
  // As if a moderator approved it.
  sql("UPDATE gigs SET status = 'active', approved_at = now() WHERE id = :'v1'", id);
  res = await s.b.post(`/studio/gigs/${id}/status`, { csrf: csrfOf(html), action: 'pause' });
  assert.equal(res.status, 303);
  assert.equal(sql("SELECT status FROM gigs WHERE id = :'v1'", id), 'paused');
  res = await s.b.post(`/studio/gigs/${id}/status`, { csrf: csrfOf(html), action: 'activate' });
  assert.equal(res.status, 303);
  assert.equal(sql("SELECT status FROM gigs WHERE id = :'v1'", id), 'active');

  // An edit of the title and description is held in pending_changes; the approved version stays.
  await postStep(s, id, 'overview', { title: 'I will write better product descriptions', category_id: subcategory(), tags: 'copy', lang: 'en', currency: 'ZAR' });
  await postStep(s, id, 'description', { description: 'Edited **text**.' });
  assert.equal(sql("SELECT status || '|' || title || '|' || description FROM gigs WHERE id = :'v1'", id),
    'active|I will write your product descriptions|Approved text.');
  assert.equal(sql("SELECT pending_changes->>'title' FROM gigs WHERE id = :'v1'", id), 'I will write better product descriptions');
  html = await page(s.b, `/studio/gigs/${id}/publish`);
  assert.match(html, /I will write better product descriptions/, 'the preview shows the edit');
  assert.match(html, /<strong>text<\/strong>/);

  res = await s.b.post(`/studio/gigs/${id}/status`, { csrf: csrfOf(html), action: 'archive' });
  assert.equal(res.status, 303);
  assert.equal(sql("SELECT status FROM gigs WHERE id = :'v1'", id), 'archived');
  res = await s.b.post(`/studio/gigs/${id}/status`, { csrf: csrfOf(html), action: 'archive' });
  assert.equal(res.status, 409);
  assert.equal(sql("SELECT count(*) FROM audit_log WHERE action = 'gig.status' AND entity_id = :'v1'", id), '3');
  res = await s.b.post(`/studio/gigs/${id}/pricing`, { csrf: csrfOf(html), ...PRICING });
  assert.equal(res.status, 409, 'an archived gig cannot be edited');
});
