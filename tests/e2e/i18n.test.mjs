// Languages and currencies (src/i18n, po/): Accept-Language and the souk_lang
// cookie choose English or Simplified Chinese; GET /lang switches and goes back
// (never off-site); the micro-cache keeps the languages apart; prices are
// formatted per currency; every UI text has a Chinese translation; and, in a
// real browser, the footer's switcher turns the site Chinese.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import {
  BASE, get, page, home, gigCards, stripTags, decode, cacheBuster, outputDir,
} from './helpers.mjs';
import { ROOT, extract, coverage, parsePo } from '../../po/extract.mjs';

const ZH = { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' };
const EN = { 'accept-language': 'en-US,en;q=0.9,zh;q=0.8' };

function htmlLang(html) {
  const m = html.match(/<html lang="([^"]*)">/);
  return m ? m[1] : null;
}

/** The text of the header's search button (visually hidden) and the search box placeholder. */
function headerTexts(html) {
  const button = html.match(/class="site-search__button"[\s\S]*?<span class="visually-hidden">([^<]*)<\/span>/);
  const placeholder = html.match(/id="site-q"[^>]*placeholder="([^"]*)"/);
  return { button: button && decode(button[1]), placeholder: placeholder && decode(placeholder[1]) };
}

function psql(sql) {
  const db = process.env.SOUK_TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:15432/souk';
  return execFileSync('psql', ['-X', '-At', '-F', '|', db, '-c', sql], { encoding: 'utf8' }).trim();
}

test('Accept-Language chooses the language of the page', async () => {
  const zh = await get(`/?${cacheBuster()}`, { headers: ZH });
  assert.equal(zh.status, 200);
  assert.equal(htmlLang(zh.text_), 'zh-CN');
  assert.deepEqual(headerTexts(zh.text_), { button: '搜索', placeholder: '搜索任何服务' });
  assert.match(zh.text_, /aria-label="类目"/);
  assert.match(zh.text_, />首页<\/a>/);
  assert.match(zh.text_, /跳到主要内容/);
  assert.doesNotMatch(zh.text_, /\{\{|\}\}/, 'no template tag leaks from a translation');
  const vary = zh.headers.get('vary') || '';
  assert.match(vary, /Accept-Language/i);
  assert.match(vary, /Cookie/i);

  const en = await get(`/?${cacheBuster()}`, { headers: EN });
  assert.equal(htmlLang(en.text_), 'en');
  assert.deepEqual(headerTexts(en.text_), { button: 'Search', placeholder: 'Search for any service' });

  for (const [al, want] of [['zh', 'zh-CN'], ['zh-TW', 'zh-CN'], ['zh-Hans-SG', 'zh-CN'], ['fr, zh;q=0.5', 'zh-CN'],
    ['fr', 'en'], ['zh;q=0, en;q=0.1', 'en'], ['en;q=0.2, zh;q=0.3', 'zh-CN'], ['', 'en'], ['*', 'en'],
    ['xx-Ugh;q=abc, *;q=-1, zh-CN', 'zh-CN'], [';;;,,,=q', 'en']]) {
    const res = await get(`/?${cacheBuster()}`, { headers: { 'accept-language': al } });
    assert.equal(res.status, 200, `Accept-Language: ${al}`);
    assert.equal(htmlLang(res.text_), want, `Accept-Language: ${al}`);
  }
});

test('GET /lang sets the cookie and goes back; the cookie beats Accept-Language', async () => {
  const res = await get('/lang?l=zh-CN&next=' + encodeURIComponent('/search?q=logo&sort=rating'));
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/search?q=logo&sort=rating');
  const cookie = res.headers.get('set-cookie') || '';
  assert.match(cookie, /^souk_lang=zh-CN; /);
  assert.match(cookie, /Path=\//);
  assert.match(cookie, /Max-Age=31536000/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  assert.match(res.headers.get('cache-control') || '', /no-store/);

  const zh = await get(`/search?q=logo&${cacheBuster()}`, { headers: { ...EN, cookie: 'souk_lang=zh-CN' } });
  assert.equal(htmlLang(zh.text_), 'zh-CN');
  assert.match(stripTags(zh.text_), /“logo”的搜索结果/);
  const en = await get(`/?${cacheBuster()}`, { headers: { ...ZH, cookie: 'souk_lang=en' } });
  assert.equal(htmlLang(en.text_), 'en');
  // a cookie value we do not offer is ignored
  const bad = await get(`/?${cacheBuster()}`, { headers: { ...ZH, cookie: 'souk_lang=fr' } });
  assert.equal(htmlLang(bad.text_), 'zh-CN');

  const back = await get('/lang?l=en&next=/');
  assert.equal(back.status, 303);
  assert.match(back.headers.get('set-cookie') || '', /^souk_lang=en; /);
});

test('GET /lang never redirects off-site', async () => {
  for (const next of ['//evil.example', '//evil.example/x', 'https://evil.example/', '/\\evil.example',
    'javascript:alert(1)', 'evil.example', '/\r\nSet-Cookie: x=y', '/a\tb']) {
    const res = await get(`/lang?l=zh-CN&next=${encodeURIComponent(next)}`);
    assert.equal(res.status, 303, `next=${next}`);
    assert.equal(res.headers.get('location'), '/', `next=${next}`);
  }
  // without next: back to the page it came from, when that page is on this site
  const ref = await get('/lang?l=zh-CN', { headers: { referer: `${BASE}/c/some-category?page=2` } });
  assert.equal(ref.headers.get('location'), '/c/some-category?page=2');
  const other = await get('/lang?l=zh-CN', { headers: { referer: 'https://evil.example/c/x' } });
  assert.equal(other.headers.get('location'), '/');
});

test('GET /lang with a language we do not offer is a 400 page', async () => {
  for (const l of ['fr', 'zh', 'ZH-CN', '']) {
    const res = await get(`/lang?l=${encodeURIComponent(l)}`, { headers: ZH });
    assert.equal(res.status, 400, `l=${l}`);
    assert.match(res.headers.get('content-type') || '', /^text\/html/);
    assert.doesNotMatch(res.headers.get('set-cookie') || '', /souk_lang/, 'no language cookie');
    assert.equal(htmlLang(res.text_), 'zh-CN');
    assert.match(stripTags(res.text_), /暂不支持该语言/);
  }
  const en = await get('/lang?l=fr', { headers: EN });
  assert.equal(en.status, 400);
  assert.match(stripTags(en.text_), /This language is not available/);
});

test('the micro-cache does not mix languages', async () => {
  const url = `/?${cacheBuster()}`;
  const [a, b] = await Promise.all([get(url, { headers: EN }), get(url, { headers: ZH })]);
  assert.equal(htmlLang(a.text_), 'en');
  assert.equal(htmlLang(b.text_), 'zh-CN');
  // in turn, quickly, several times: cached entries stay per language
  for (let i = 0; i < 3; i++) {
    for (const [headers, want] of [[EN, 'en'], [ZH, 'zh-CN'], [{ ...EN, cookie: 'souk_lang=zh-CN' }, 'zh-CN'],
      [{ ...ZH, cookie: 'souk_lang=en' }, 'en'], [{ 'accept-language': 'zh-TW' }, 'zh-CN'],
      [{ 'accept-language': 'fr, zh;q=0.5' }, 'zh-CN'], [{ 'accept-language': 'fr' }, 'en']]) {
      const res = await get(url, { headers });
      assert.equal(res.status, 200);
      assert.equal(htmlLang(res.text_), want, `${JSON.stringify(headers)} (X-Cache ${res.headers.get('x-cache')})`);
    }
  }
  // caching still works per language: a fresh URL, each language twice
  const fresh = `/?${cacheBuster()}`;
  const e1 = await get(fresh, { headers: EN });
  const e2 = await get(fresh, { headers: EN });
  const z1 = await get(fresh, { headers: ZH });
  const z2 = await get(fresh, { headers: ZH });
  assert.deepEqual([e1, e2, z1, z2].map((r) => htmlLang(r.text_)), ['en', 'en', 'zh-CN', 'zh-CN']);
  assert.equal(e1.headers.get('x-cache'), 'MISS');
  assert.equal(e2.headers.get('x-cache'), 'HIT');
  assert.equal(z1.headers.get('x-cache'), 'MISS', 'the Chinese page is not the cached English one');
  assert.equal(z2.headers.get('x-cache'), 'HIT');
});

test('prices are formatted per currency: $1,234.50, R 1 234,50, ¥1,234.50', async () => {
  const row = psql(`SELECT souk_money(123450, 'USD', 'en'), souk_money(123450, 'ZAR', 'en'),
    souk_money(123450, 'CNY', 'en'), souk_money(123450, 'USD', 'zh-CN'), souk_money(123450, 'ZAR', 'zh-CN'),
    souk_money(123450, 'CNY', 'zh-CN'), souk_money(5, 'CNY', 'zh-CN'), souk_money(100000000, 'ZAR', 'en')`);
  assert.deepEqual(row.split('|'), ['$1,234.50', 'R 1 234,50', '¥1,234.50', '$1,234.50', 'R 1 234,50', '¥1,234.50',
    '¥0.05', 'R 1 000 000,00']);

  // a gig priced in yuan, shown in Chinese
  const path = psql(`SELECT '/' || u.handle || '/' || g.slug FROM gigs g JOIN users u ON u.id = g.seller_id
    WHERE g.status = 'active' AND g.basic_currency = 'CNY' ORDER BY g.id LIMIT 1`);
  assert.match(path, /^\/[^/]+\/[a-z0-9-]+$/, 'a CNY gig in the demo data');
  const html = await page(`${path}?${cacheBuster()}`, { headers: ZH });
  assert.equal(htmlLang(html), 'zh-CN');
  const prices = [...html.matchAll(/<td class="pkg-table__price">([^<]*)<\/td>/g)].map((m) => decode(m[1]).trim());
  assert.equal(prices.length, 3, 'three package prices');
  for (const p of prices) assert.match(p, /^¥\d{1,3}(,\d{3})*\.\d{2}$/, p);
  assert.match(stripTags(html), /套餐对比/);
  assert.match(stripTags(html), /\d+ 天交付/);

  // and the listing cards of a Chinese page keep each gig's currency
  const { categories } = await home();
  const cat = await page(`${categories[0]}?${cacheBuster()}`, { headers: ZH });
  const cards = gigCards(cat);
  assert.ok(cards.length > 0);
  for (const c of cards) assert.match(c.priceText, /^(\$\d{1,3}(,\d{3})*\.\d{2}|R \d{1,3}( \d{3})*,\d{2}|¥\d{1,3}(,\d{3})*\.\d{2})$/, c.priceText);
});

test('listing filters, error pages and their titles are translated', async () => {
  const { categories } = await home();
  const html = await page(`${categories[0]}?${cacheBuster()}`, { headers: ZH });
  const text = stripTags(html);
  for (const s of ['不限时间', '24 小时加急', '不限等级', '顶级卖家', '4.5 分及以上', '不限语言', '英语', '相关度', '价格：从低到高']) {
    assert.ok(text.includes(s), `filter text ${s}`);
  }
  assert.match(html, /aria-label="筛选服务"/);
  assert.match(text, /共 \d+ 项服务/);

  const nf = await get(`/c/no-such-category-zz?${cacheBuster()}`, { headers: ZH });
  assert.equal(nf.status, 404);
  assert.equal(htmlLang(nf.text_), 'zh-CN');
  assert.match(nf.text_, /<title>404 页面不存在<\/title>/);
  assert.match(stripTags(nf.text_), /找不到该页面/);
  const bad = await get(`/search?q=x&page=zz&${cacheBuster()}`, { headers: ZH });
  assert.equal(bad.status, 400);
  assert.match(bad.text_, /<html lang="zh-CN">/);
});

test('every UI text has a Chinese translation that keeps its tags', () => {
  const msgids = extract(ROOT, () => {}).map((e) => e.msgid);
  assert.ok(msgids.length > 100, `texts found: ${msgids.length}`);
  const po = readFileSync(join(ROOT, 'po', 'zh_CN.po'), 'utf8');
  const { untranslated, fuzzy } = coverage(po, msgids);
  assert.deepEqual(untranslated, [], 'untranslated (run node po/extract.mjs and translate po/zh_CN.po)');
  assert.deepEqual(fuzzy, [], 'fuzzy translations to review in po/zh_CN.po');
  // the tags, except Mustache comments (the context of a msgid: "{{! price }}From")
  const tags = (s) => (s.match(/\{\{(?!!)\{?[^}]*\}?\}\}|<\/?[a-z][^>]*>/g) || []).sort();
  for (const e of parsePo(po)) {
    if (e.msgid === '' || e.obsolete || e.msgstr === '') continue;
    assert.deepEqual(tags(e.msgstr), tags(e.msgid), `tags of ${JSON.stringify(e.msgid)}`);
  }
});

const executablePath = process.env.SOUK_TEST_CHROMIUM || '/usr/bin/chromium';
let browser;
after(async () => {
  if (browser) await browser.close();
});

test('browser: the footer switcher turns the site Chinese and back', { skip: !existsSync(executablePath) && `no ${executablePath}` }, async () => {
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const p = await context.newPage();
  const problems = [];
  p.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  p.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`); });

  const { categories } = await home();
  await p.goto(`${BASE}${categories[0]}`, { waitUntil: 'load' });
  assert.equal(await p.getAttribute('html', 'lang'), 'en');
  assert.equal(await p.getAttribute('#site-q', 'placeholder'), 'Search for any service');

  // switch to Chinese from the footer: back on the same page, in Chinese
  const landed = (path) => p.waitForResponse((r) => r.request().isNavigationRequest() &&
    new URL(r.url()).pathname === path && r.status() === 200);
  await Promise.all([landed(categories[0]), p.locator('.site-footer__lang a[hreflang="zh-CN"]').click()]);
  await p.waitForLoadState('load');
  assert.equal(await p.getAttribute('html', 'lang'), 'zh-CN');
  assert.equal(await p.getAttribute('#site-q', 'placeholder'), '搜索任何服务');
  assert.equal((await p.locator('.site-search__button .visually-hidden').textContent()).trim(), '搜索');
  assert.equal(await p.getAttribute('nav.cat-nav', 'aria-label'), '类目');
  assert.equal((await p.locator('.site-footer__nav a[href="/"]').first().textContent()).trim(), '首页');
  const cookies = await context.cookies();
  assert.ok(cookies.some((c) => c.name === 'souk_lang' && c.value === 'zh-CN' && c.httpOnly), 'souk_lang cookie');
  await p.locator('.listing__count').waitFor();
  assert.match(await p.locator('.listing__count').textContent(), /共 \d+ 项服务/);
  await p.screenshot({ path: join(outputDir(), 'i18n-category-zh.png'), fullPage: false });

  // the language sticks while browsing: search from the header
  const box = p.locator('#site-q');
  await box.fill('logo');
  await Promise.all([p.waitForURL(/\/search\?q=logo/), box.press('Enter')]);
  assert.equal(await p.getAttribute('html', 'lang'), 'zh-CN');
  await p.locator('h1').filter({ hasText: '“logo”的搜索结果' }).waitFor();
  await p.locator('.site-footer__lang').scrollIntoViewIfNeeded();
  await p.screenshot({ path: join(outputDir(), 'i18n-search-zh.png'), fullPage: false });

  // and back to English
  await Promise.all([landed('/search'), p.locator('.site-footer__lang a[hreflang="en"]').click()]);
  await p.waitForLoadState('load');
  assert.equal(await p.getAttribute('html', 'lang'), 'en');
  assert.match(p.url(), /\/search\?q=logo/);
  assert.equal(await p.getAttribute('#site-q', 'placeholder'), 'Search for any service');

  assert.deepEqual(problems, [], 'no console errors, CSP violations or failed loads');
  await context.close();
});
