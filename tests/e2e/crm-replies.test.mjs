// Saved replies in the chat composer (issue 7, "Working tools in the chat
// composer"; src/crm/replies.c, src/crm/composer.c), through nginx,
// souk-web, PostgreSQL and Redis:
//
//   the seller creates, lists, edits and deletes saved replies (a buyer
//   gets 403, another seller 404); bad values answer 422 and a taken
//   shortcut 409, with what was typed kept; the render endpoint fills
//   {{buyer_name}}, {{buyer_handle}}, {{seller_name}}, {{gig_title}} with
//   our Mustache engine, escaped, so a buyer name with markup and a reply
//   with markup come out inert in the thread once sent; without JavaScript
//   the composer's Insert button (and ?reply=ID) put the rendered reply
//   into the message box, keeping what was typed; only the seller sees the
//   tools; and in Chromium typing "/" + a shortcut + Enter inserts it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { BASE, get, decode, stripTags, outputDir } from './helpers.mjs';
import { sql, user, activeGig, Client, locationOf, text } from './money-helpers.mjs';

const CHROMIUM = process.env.SOUK_TEST_CHROMIUM || '/usr/bin/chromium';
const NAME = '<b>Bo & "Co"</b>';
let seller, buyer, other, gig, s, b, o, conv;

/** POST multipart as the thread's composer does. */
async function postForm(client, path, fields) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  fd.append('csrf', client.u.csrf);
  const res = await get(path, { method: 'POST', body: fd, headers: { cookie: client.header() } });
  return res;
}

/** The composer textarea's text on a thread page. */
function composer(html) {
  const m = html.match(/<textarea id="body" name="body"[^>]*>([\s\S]*?)<\/textarea>/);
  assert.ok(m, 'the composer textarea');
  return decode(m[1]);
}

/** Creates a saved reply; its id. */
async function createReply(shortcut, title, body) {
  const res = await s.post('/crm/replies', { shortcut, title, body });
  assert.equal(res.status, 303, `create ${shortcut}: ${res.status} ${text(res).slice(0, 300)}`);
  assert.equal(locationOf(res), '/crm/replies');
  return Number(sql("SELECT id FROM crm_saved_replies WHERE seller_id = :'v1' AND shortcut = :'v2'", seller.id,
    shortcut.replace(/^\//, '')));
}

before(async () => {
  seller = user('rs', ['SELLER']);
  buyer = user('rb');
  other = user('ro', ['SELLER']);
  sql("INSERT INTO profiles (user_id, display_name, country) VALUES (:'v1', :'v2', 'ZA')", buyer.id, NAME);
  gig = activeGig(seller, 'USD');
  s = new Client(seller); b = new Client(buyer); o = new Client(other);
  const res = await b.get(`/contact/${seller.handle}`);
  assert.equal(res.status, 303);
  conv = Number(locationOf(res).match(/^\/inbox\/(\d+)$/)[1]);
  // the lead's source gig is the one the buyer came from (H5's crm_leads)
  sql("UPDATE crm_leads SET source_gig_id = :'v1' WHERE conversation_id = :'v2'", gig.id, conv);
});

test('saved replies: create, list, edit, delete; only the seller', async () => {
  let res = await b.get('/crm/replies');
  assert.equal(res.status, 403, 'a buyer has no saved replies page');
  res = await s.get('/crm/replies');
  assert.equal(res.status, 200);
  assert.match(res.text_, /data-empty/);

  const id = await createReply('thanks', 'Thank you', 'Thanks {{buyer_name}}!');
  res = await s.get('/crm/replies');
  assert.match(res.text_, new RegExp(`data-reply="${id}" data-shortcut="thanks"`));
  assert.match(stripTags(res.text_), /\/thanks — Thank you/);

  // a leading "/" is forgiven
  const id2 = await createReply('/price-list', 'Prices', 'See {{gig_title}}.');
  assert.equal(sql("SELECT shortcut FROM crm_saved_replies WHERE id = :'v1'", id2), 'price-list');

  res = await s.get(`/crm/replies/${id}/edit`);
  assert.equal(res.status, 200);
  assert.match(res.text_, /value="thanks"/);
  res = await o.get(`/crm/replies/${id}/edit`);
  assert.equal(res.status, 404, 'another seller cannot see it');
  res = await o.post(`/crm/replies/${id}`, { shortcut: 'mine', title: 'Mine', body: 'x' });
  assert.equal(res.status, 404, 'nor change it');
  res = await o.post(`/crm/replies/${id}/delete`);
  assert.equal(res.status, 404, 'nor delete it');

  res = await s.post(`/crm/replies/${id}`, { shortcut: 'thanks', title: 'Thank you!', body: 'Many thanks, {{buyer_name}}.' });
  assert.equal(res.status, 303);
  assert.equal(sql("SELECT title || '|' || body FROM crm_saved_replies WHERE id = :'v1'", id), 'Thank you!|Many thanks, {{buyer_name}}.');

  res = await s.post(`/crm/replies/${id2}/delete`);
  assert.equal(res.status, 303);
  assert.equal(sql("SELECT count(*) FROM crm_saved_replies WHERE id = :'v1'", id2), '0');
});

test('saved replies: bad values 422, a taken shortcut 409, values kept', async () => {
  let res = await s.post('/crm/replies', { shortcut: 'Bad Shortcut!', title: 'Kept title', body: 'Kept body' });
  assert.equal(res.status, 422);
  assert.match(res.text_, /data-error="shortcut"/);
  assert.match(res.text_, /value="Kept title"/, 'the title is kept');
  assert.match(res.text_, />Kept body<\/textarea>/, 'the body is kept');

  res = await s.post('/crm/replies', { shortcut: 'empty', title: ' ', body: '' });
  assert.equal(res.status, 422);
  assert.match(res.text_, /data-error="title"/);
  assert.match(res.text_, /data-error="body"/);

  res = await s.post('/crm/replies', { shortcut: 'broken', title: 'Broken', body: 'Hi {{#buyer_name}} unclosed' });
  assert.equal(res.status, 422, 'a template our engine cannot compile');
  assert.match(res.text_, /data-error="body"/);
  assert.match(res.text_, /unclosed section/);

  res = await s.post('/crm/replies', { shortcut: 'x'.repeat(33), title: 'Long', body: 'b' });
  assert.equal(res.status, 422);
  res = await postForm(s, '/crm/replies', { shortcut: 'long', title: 'T', body: 'é'.repeat(5001) });
  assert.equal(res.status, 422);
  assert.equal(sql("SELECT count(*) FROM crm_saved_replies WHERE seller_id = :'v1' AND shortcut IN ('empty', 'broken', 'long')", seller.id), '0');

  await createReply('dup', 'First', 'One');
  res = await s.post('/crm/replies', { shortcut: 'dup', title: 'Second title', body: 'Two' });
  assert.equal(res.status, 409, 'the shortcut is taken');
  assert.match(res.text_, /data-error="shortcut"/);
  assert.match(res.text_, /value="Second title"/);
  // renaming another reply onto it is refused too
  const id = await createReply('dup2', 'Other', 'Three');
  res = await s.post(`/crm/replies/${id}`, { shortcut: 'dup', title: 'Other', body: 'Three' });
  assert.equal(res.status, 409);
  assert.equal(sql("SELECT shortcut FROM crm_saved_replies WHERE id = :'v1'", id), 'dup2');
  // another seller may use the same shortcut
  res = await o.post('/crm/replies', { shortcut: 'dup', title: 'Theirs', body: 'Four' });
  assert.equal(res.status, 303);
});

test('rendering fills the variables, escaped; markup in a reply is inert once sent', async () => {
  const body = 'Hi {{buyer_name}} (@{{buyer_handle}}), about {{gig_title}}: <img src=x onerror=alert(1)> — {{seller_name}}';
  const id = await createReply('hello', 'Hello', body);
  let res = await s.get(`/crm/replies/${id}/render?conversation=${conv}`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain/);
  const expected = `Hi &lt;b&gt;Bo &amp; "Co"&lt;/b&gt; (@${buyer.handle}), about ${gig.title}: <img src=x onerror=alert(1)> — Seller ${seller.handle}`;
  assert.equal(res.text_, expected);
  // not the seller of that conversation, or not a seller at all
  assert.equal((await o.get(`/crm/replies/${id}/render?conversation=${conv}`)).status, 404);
  assert.equal((await b.get(`/crm/replies/${id}/render?conversation=${conv}`)).status, 403);
  assert.equal((await s.get(`/crm/replies/${id}/render?conversation=999999999`)).status, 404);

  // sent as a message: the name shows as text, the raw HTML is dropped
  res = await postForm(s, `/inbox/${conv}/messages`, { body: res.text_ });
  assert.equal(res.status, 303, text(res).slice(0, 300));
  const thread = (await b.get(`/inbox/${conv}`)).text_;
  const li = thread.match(/<li class="message[^"]*"[^>]*>(?:(?!<\/li>)[\s\S])*about (?:(?!<\/li>)[\s\S])*<\/li>/);
  assert.ok(li, 'the message in the thread');
  assert.doesNotMatch(li[0], /<img|onerror=|<b>Bo/, 'nothing of the markup is live');
  assert.ok(stripTags(li[0]).includes(`Hi ${NAME} (@${buyer.handle})`), stripTags(li[0]));
});

test('without JavaScript: Insert puts the rendered reply into the composer, keeping the text', async () => {
  const id = await createReply('intro', 'Intro', 'Hello {{buyer_handle}}, I am {{seller_name}}.');
  // only the seller has the tools
  let html = (await b.get(`/inbox/${conv}`)).text_;
  assert.doesNotMatch(html, /data-crm-tools/);
  html = (await s.get(`/inbox/${conv}`)).text_;
  assert.match(html, /data-crm-tools/);
  assert.doesNotMatch(html, /crm_thread_context|conversation_id, replies/, 'no template comment leaks into the page');
  assert.match(html, new RegExp(`<option value="${id}" data-shortcut="intro"`));
  assert.match(html, new RegExp(`formaction="/inbox/${conv}/replies/insert"`));

  // the composer as the Insert button posts it
  let res = await postForm(s, `/inbox/${conv}/replies/insert`, { body: 'Good morning!', crm_reply: String(id), reply_to: '' });
  assert.equal(res.status, 303, text(res).slice(0, 300));
  assert.equal(locationOf(res), `/inbox/${conv}?draft=1#composer`);
  html = (await s.get(`/inbox/${conv}?draft=1`)).text_;
  assert.equal(composer(html), `Good morning!\n\nHello ${buyer.handle}, I am Seller ${seller.handle}.`);
  html = (await s.get(`/inbox/${conv}?draft=1`)).text_;
  assert.equal(composer(html), '', 'the draft is used once');

  // a plain GET with ?reply=ID works as well; someone else's reply does nothing
  html = (await s.get(`/inbox/${conv}?reply=${id}`)).text_;
  assert.equal(composer(html), `Hello ${buyer.handle}, I am Seller ${seller.handle}.`);
  assert.match(html, new RegExp(`<option value="${id}" data-shortcut="intro"[^>]* selected`));
  res = await postForm(o, `/inbox/${conv}/replies/insert`, { body: 'x', crm_reply: String(id) });
  assert.equal(res.status, 404, 'not the seller of this conversation');
  res = await postForm(s, `/inbox/${conv}/replies/insert`, { body: 'x', crm_reply: '999999999' });
  assert.equal(res.status, 404, 'no such reply');
});

let browser;
after(async () => { if (browser) await browser.close(); });

test('Chromium: "/" + shortcut + Enter inserts the rendered reply', {
  skip: !existsSync(CHROMIUM) && `no ${CHROMIUM}`,
  timeout: 90000,
}, async () => {
  await createReply('welcome', 'Welcome', 'Welcome {{buyer_handle}}! Ask me anything about {{gig_title}}.');
  await createReply('wave', 'Wave', 'Hi there');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
  });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  await ctx.addCookies([{ name: 'souk_sess', value: seller.token, domain: new URL(BASE).hostname, path: '/', httpOnly: true }]);
  ctx.setDefaultTimeout(20000);
  const page = await ctx.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  await page.goto(`${BASE}/inbox/${conv}`, { waitUntil: 'load' });
  const box = page.locator('form[data-message-form] textarea[name="body"]');
  await box.click();
  await box.pressSequentially('Thanks for writing. /w');
  const list = page.locator('[data-crm-listbox]');
  await list.waitFor({ state: 'visible' });
  const options = list.locator('[role="option"]');
  assert.deepEqual(await options.evaluateAll((els) => els.map((e) => e.getAttribute('data-shortcut'))), ['wave', 'welcome']);
  await box.pressSequentially('e');
  assert.equal(await options.count(), 1, 'only /welcome matches "/we"');
  assert.equal(await options.first().getAttribute('aria-selected'), 'true');
  assert.equal(await box.getAttribute('aria-activedescendant'), await options.first().getAttribute('id'));
  await box.press('Enter');
  const want = `Thanks for writing. Welcome ${buyer.handle}! Ask me anything about ${gig.title}.`;
  await page.waitForFunction((w) => document.querySelector('form[data-message-form] textarea[name="body"]').value === w, want);
  assert.ok(await list.isHidden(), 'the list closed');
  // Escape closes the list without inserting
  await box.pressSequentially(' /wa');
  await list.waitFor({ state: 'visible' });
  await box.press('Escape');
  assert.ok(await list.isHidden());
  assert.equal(await box.inputValue(), `${want} /wa`);
  await page.screenshot({ path: `${outputDir()}/crm-composer.png`, fullPage: true });
  assert.deepEqual(problems, []);
  await ctx.close();

  // JavaScript off: choose the reply in the select box, press Insert
  const nojs = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', javaScriptEnabled: false });
  await nojs.addCookies([{ name: 'souk_sess', value: seller.token, domain: new URL(BASE).hostname, path: '/', httpOnly: true }]);
  nojs.setDefaultTimeout(20000);
  const p2 = await nojs.newPage();
  await p2.goto(`${BASE}/inbox/${conv}`, { waitUntil: 'load' });
  await p2.locator('form[data-message-form] textarea[name="body"]').fill('Typed first.');
  await p2.locator('select[data-crm-replies]').selectOption({ label: '/welcome — Welcome' });
  await Promise.all([
    p2.waitForURL((u) => u.pathname === `/inbox/${conv}` && u.searchParams.get('draft') === '1'),
    p2.locator('button[data-crm-insert]').click(),
  ]);
  assert.equal(await p2.locator('form[data-message-form] textarea[name="body"]').inputValue(),
    `Typed first.\n\nWelcome ${buyer.handle}! Ask me anything about ${gig.title}.`);
  await nojs.close();
});
