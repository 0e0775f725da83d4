// The public catalog pages through nginx: home, categories and their filters,
// pagination, search (English, Chinese, typos, nothing found), gig, seller,
// sitemap, error pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, get, page, home, gigCards, categoryLinks, nextLink, stripTags, parsePrice,
  biggestCategory, assertCommonHeaders, decode, usdMinor,
} from './helpers.mjs';

test('home page: categories, featured gigs, request id and CSP', async () => {
  const res = await get('/');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html; charset=utf-8/i);
  assertCommonHeaders(res, 'GET /');
  const html = res.text_;
  assert.match(html, /^<!doctype html>/i);
  assert.match(html, /<html lang="(en|zh-CN)">/);
  assert.match(html, /<title>[^<]*Souk[^<]*<\/title>/);
  assert.match(html, /<link rel="canonical" href="http[^"]+\/"/);
  assert.match(html, /<link rel="manifest" href="\/static\/manifest\.webmanifest">/);
  const cats = categoryLinks(html);
  assert.ok(cats.length >= 3, `at least 3 category links, got ${cats.length}`);
  const cards = gigCards(html);
  assert.ok(cards.length >= 4, `featured gigs on the home page, got ${cards.length}`);
  for (const c of cards) {
    assert.match(c.url, /^\/[A-Za-z0-9_.-]+\/[a-z0-9-]+$/, `gig url ${c.url}`);
    assert.ok(c.title && c.title.length > 3, 'gig title');
    assert.ok(c.priceMinor > 0, `gig price ${c.priceText}`);
  }
  // no template tag may leak into the page
  assert.doesNotMatch(html, /\{\{|\}\}/);
});

test('every response has its own X-Request-Id', async () => {
  const a = await get('/');
  const b = await get('/');
  assert.ok(a.headers.get('x-request-id'));
  assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
});

test('HEAD / answers like GET without a body', async () => {
  const res = await get('/', { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.equal(res.text_, '');
});

test('category page lists gigs with a count, breadcrumb and canonical link', async () => {
  const { categories } = await home();
  const html = await page(categories[0]);
  assert.match(html, /<h1 class="page-title">[^<]+<\/h1>/);
  assert.match(stripTags(html), /\d+ services available/);
  assert.match(html, new RegExp(`<link rel="canonical" href="[^"]*${categories[0]}"`));
  const cards = gigCards(html);
  assert.ok(cards.length > 0, 'gigs in the first category');
});

test('unknown category is a 404 page', async () => {
  const res = await get('/c/no-such-category-xyz');
  assert.equal(res.status, 404);
  assert.match(res.headers.get('content-type'), /^text\/html/);
});

test('filter level=top_rated shows only Top Rated sellers', async () => {
  const { categories } = await home();
  let seen = 0;
  for (const path of categories) {
    const cards = gigCards(await page(`${path}?level=top_rated`));
    for (const c of cards) assert.equal(c.level, 'top_rated', `${path}: ${c.url} has level ${c.level}`);
    seen += cards.length;
  }
  assert.ok(seen > 0, 'some category has Top Rated sellers');
  // the selected option is kept in the form
  const html = await page(`${categories[0]}?level=top_rated`);
  assert.match(html, /<option value="top_rated" selected>/);
});

test('filter max_price / min_price bound the starting price (in US dollars)', async () => {
  const big = await biggestCategory();
  const cheap = gigCards(await page(`${big.path}?max_price=50`));
  assert.ok(cheap.length > 0, 'gigs up to $50');
  for (const c of cheap) assert.ok(usdMinor(c) <= 5000, `${c.url} costs ${c.priceText} > $50`);
  const dear = gigCards(await page(`${big.path}?min_price=100`));
  assert.ok(dear.length > 0, 'gigs from $100');
  for (const c of dear) assert.ok(usdMinor(c) >= 10000, `${c.url} costs ${c.priceText} < $100`);
  const band = gigCards(await page(`${big.path}?min_price=20&max_price=80.50`));
  for (const c of band) assert.ok(usdMinor(c) >= 2000 && usdMinor(c) <= 8050, `${c.url} ${c.priceText}`);
  // an impossible band is an empty page, not an error
  const none = await get(`${big.path}?min_price=90&max_price=10`);
  assert.equal(none.status, 200);
  assert.equal(gigCards(none.text_).length, 0);
  assert.match(none.text_, /class="empty-state/);
});

test('filter rating=4.5 leaves only gigs rated 4.5 or better', async () => {
  const big = await biggestCategory();
  const cards = gigCards(await page(`${big.path}?rating=4.5`));
  assert.ok(cards.length > 0, 'some gigs are rated 4.5+');
  for (const c of cards) assert.ok(c.rating >= 4.5, `${c.url} rated ${c.rating}`);
});

test('filter language=zh / en by the language of the gig', async () => {
  const { categories } = await home();
  let zh = 0;
  for (const path of categories) {
    const cards = gigCards(await page(`${path}?language=zh`));
    for (const c of cards) assert.equal(c.lang, 'zh', `${c.url} lang ${c.lang}`);
    zh += cards.length;
  }
  assert.ok(zh > 0, 'there are Chinese gigs');
  const en = gigCards(await page(`${categories[0]}?language=en`));
  for (const c of en) assert.equal(c.lang, 'en', `${c.url} lang ${c.lang}`);
});

test('filter delivery=3 and unknown values', async () => {
  const big = await biggestCategory();
  const fast = await get(`${big.path}?delivery=3`);
  assert.equal(fast.status, 200);
  for (const c of gigCards(fast.text_)) {
    if (c.deliveryDays != null) assert.ok(c.deliveryDays <= 3, `${c.url} delivers in ${c.deliveryDays} days`);
  }
  // unknown values of closed lists are ignored: same results as without them
  const plain = gigCards(big.html).map((c) => c.url);
  for (const q of ['level=godlike', 'sort=drop', 'language=klingon', 'delivery=999', 'rating=6']) {
    const html = await page(`${big.path}?${q}`);
    assert.deepEqual(gigCards(html).map((c) => c.url), plain, `${q} is ignored`);
  }
});

test('sort=price_asc orders the starting prices, also across pages', async () => {
  const big = await biggestCategory();
  const html1 = await page(`${big.path}?sort=price_asc`);
  const p1 = gigCards(html1);
  assert.ok(p1.length > 1);
  const check = (cards, what) => {
    for (let i = 1; i < cards.length; i++) {
      assert.ok(usdMinor(cards[i]) >= usdMinor(cards[i - 1]),
        `${what}: ${cards[i].priceText} after ${cards[i - 1].priceText}`);
    }
  };
  check(p1, 'page 1');
  const next = nextLink(html1);
  if (next) {
    assert.match(next, /sort=price_asc/, 'the next link keeps the sort');
    const p2 = gigCards(await page(next));
    check([...p1, ...p2], 'pages 1+2');
  }
  // and sort=rating puts the best rated first
  const byRating = gigCards(await page(`${big.path}?sort=rating`)).filter((c) => c.rating != null);
  for (let i = 1; i < byRating.length; i++) {
    assert.ok(byRating[i].rating <= byRating[i - 1].rating, `rating order ${byRating[i - 1].rating} then ${byRating[i].rating}`);
  }
});

test('pagination: page 2 differs from page 1, past the last page is 404', async () => {
  const big = await biggestCategory();
  const html1 = big.html;
  const next = nextLink(html1);
  assert.ok(next, `${big.path} (${big.total} gigs) has a next page`);
  assert.match(next, /page=2/);
  const html2 = await page(next);
  const u1 = new Set(gigCards(html1).map((c) => c.url));
  const u2 = gigCards(html2).map((c) => c.url);
  assert.ok(u2.length > 0, 'page 2 has gigs');
  for (const u of u2) assert.ok(!u1.has(u), `${u} is on page 1 and page 2`);
  assert.match(html2, /rel="prev"/);
  assert.match(html2, /aria-current="page"[^>]*>(<span[^>]*>[^<]*<\/span>)?2</);
  // count the pages from the status line "Page 1 of N"
  const m = stripTags(html1).match(/Page 1 of (\d+)/);
  assert.ok(m, 'page count shown');
  const last = Number(m[1]);
  const lastHtml = await page(`${big.path}?page=${last}`);
  assert.equal(nextLink(lastHtml), null, 'no next link on the last page');
  const past = await get(`${big.path}?page=${last + 1}`);
  assert.equal(past.status, 404);
  assert.match(past.headers.get('content-type'), /^text\/html/);
});

test('search in English finds logo gigs', async () => {
  const html = await page('/search?q=logo');
  const cards = gigCards(html);
  assert.ok(cards.length > 0, 'results for "logo"');
  assert.ok(cards.some((c) => /logo/i.test(c.title)), 'a title mentions logo');
  assert.match(html, /value="logo"/, 'the search box keeps the query');
  assert.match(html, /<meta name="robots" content="noindex">/);
  assert.doesNotMatch(html, /class="notice"/, 'exact matches are not marked fuzzy');
});

test('search in Chinese finds Chinese gigs', async () => {
  for (const q of ['设计', '标志']) {
    const html = await page(`/search?q=${encodeURIComponent(q)}`);
    const cards = gigCards(html);
    assert.ok(cards.length > 0, `results for "${q}"`);
    assert.ok(cards.some((c) => c.lang === 'zh' || c.title.includes(q)), `a Chinese gig for "${q}"`);
    assert.ok(html.includes(`value="${q}"`), 'the query is kept, unmangled');
  }
});

test('search tolerates a misspelt word next to a right one', async () => {
  const html = await page(`/search?q=${encodeURIComponent('logo desgin')}`);
  const cards = gigCards(html);
  assert.ok(cards.length > 0, 'results for "logo desgin"');
  assert.ok(cards.some((c) => /logo/i.test(c.title) && /design/i.test(c.title)), 'a logo design gig');
});

test('search tolerates a transposed word ("webiste")', async () => {
  const html = await page('/search?q=webiste');
  const cards = gigCards(html);
  assert.ok(cards.length > 0, 'results for the typo "webiste"');
  assert.match(html, /class="notice"/, 'fuzzy results are announced');
  assert.ok(cards.some((c) => /web ?site/i.test(c.title)), 'a website gig for "webiste"');
});

test('search with no results is a helpful 200 page', async () => {
  const res = await get('/search?q=qqxzvbnmkjh');
  assert.equal(res.status, 200);
  assert.equal(gigCards(res.text_).length, 0);
  const text = stripTags(res.text_);
  assert.match(text, /couldn.t find services for "qqxzvbnmkjh"/);
  assert.match(res.text_, /class="empty-state/);
  assert.ok(categoryLinks(res.text_).length > 0, 'suggests categories');
});

test('empty search is a 200 page', async () => {
  for (const q of ['', '%20%20', '+']) {
    const res = await get(`/search?q=${q}`);
    assert.equal(res.status, 200, `q=${q}`);
  }
  assert.equal((await get('/search')).status, 200);
});

test('gig page: three packages with prices, seller, related', async () => {
  const { gigs } = await home();
  const gig = gigs[0];
  const res = await get(gig.url);
  assert.equal(res.status, 200);
  assertCommonHeaders(res, gig.url);
  const html = res.text_;
  assert.match(html, /<h1 class="gig-header__title"[^>]*>[^<]+<\/h1>/);
  assert.match(html, /<meta property="og:type" content="product">/);
  const tiers = [...html.matchAll(/pkg-table__head--(basic|standard|premium)"[\s\S]*?pkg-table__tier">([^<]*)</g)]
    .map((m) => [m[1], m[2]]);
  assert.deepEqual(tiers, [['basic', 'Basic'], ['standard', 'Standard'], ['premium', 'Premium']]);
  const prices = [...html.matchAll(/<td class="pkg-table__price">([^<]*)<\/td>/g)].map((m) => parsePrice(m[1]));
  assert.equal(prices.length, 3);
  for (const p of prices) assert.ok(p && p.minor > 0);
  assert.ok(prices[0].minor <= prices[1].minor && prices[1].minor <= prices[2].minor, 'Basic ≤ Standard ≤ Premium');
  assert.equal(prices[0].minor, gig.priceMinor, 'the card shows the Basic price');
  assert.match(html, /\d+-day delivery/);
  const handle = gig.url.split('/')[1];
  assert.ok(html.includes(`href="/u/${handle}"`), 'links the seller');
});

test('seller profile lists the seller and their gigs', async () => {
  const { gigs } = await home();
  const handle = gigs[0].url.split('/')[1];
  const html = await page(`/u/${handle}`);
  assert.ok(html.includes(`@${handle}`));
  assert.match(html, /<h1 class="profile__name">[^<]+<\/h1>/);
  assert.match(html, /<meta property="og:type" content="profile">/);
  const cards = gigCards(html);
  assert.ok(cards.length > 0);
  for (const c of cards) assert.ok(c.url.startsWith(`/${handle}/`), `${c.url} belongs to ${handle}`);
  assert.ok(cards.some((c) => c.url === gigs[0].url));
});

test('unknown gig, seller and path are 404 pages', async () => {
  const { gigs } = await home();
  const handle = gigs[0].url.split('/')[1];
  for (const path of [`/${handle}/no-such-gig-xyz`, '/u/no-such-seller-xyz', '/no-such-page-xyz',
    '/nobody-xyz/nothing-xyz', '/a/b/c/d']) {
    const res = await get(path);
    assert.equal(res.status, 404, path);
    assert.match(res.headers.get('content-type'), /^text\/html/, path);
    assertCommonHeaders(res, path);
    assert.match(res.text_, /class="[^"]*error-page/, `${path}: the error page`);
  }
});

test('POST / is 405 with Allow', async () => {
  const res = await get('/', { method: 'POST', body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(res.status, 405);
  assert.match(res.headers.get('allow') || '', /\bGET\b/);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  const del = await get('/search?q=x', { method: 'DELETE' });
  assert.equal(del.status, 405);
});

test('sitemap.xml is valid XML listing categories and gigs', async () => {
  const res = await get('/sitemap.xml');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^(application|text)\/xml/);
  const xml = res.text_;
  assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\s*<urlset xmlns="http:\/\/www\.sitemaps\.org\/schemas\/sitemap\/0\.9">/);
  assert.match(xml, /<\/urlset>\s*$/);
  const locs = [...xml.matchAll(/<loc>([^<]*)<\/loc>/g)].map((m) => decode(m[1]));
  assert.ok(locs.length >= 20, `many <loc>, got ${locs.length}`);
  assert.equal((xml.match(/<url>/g) || []).length, locs.length);
  assert.equal((xml.match(/<\/url>/g) || []).length, locs.length);
  assert.doesNotMatch(xml, /&(?!amp;|lt;|gt;|quot;|apos;|#\d+;|#x[0-9a-f]+;)/i, 'no bare ampersand');
  for (const l of locs) assert.match(l, /^https?:\/\/[^/]+\//, `absolute URL: ${l}`);
  assert.equal(new Set(locs).size, locs.length, 'no duplicate URLs');
  const { categories, gigs } = await home();
  assert.ok(locs.some((l) => l.endsWith(categories[0])));
  assert.ok(locs.some((l) => l.endsWith(gigs[0].url)));
  for (const m of xml.matchAll(/<lastmod>([^<]*)<\/lastmod>/g)) assert.match(m[1], /^\d{4}-\d{2}-\d{2}/);
  // a few of them resolve here
  for (const l of [locs[1], locs[locs.length - 1]]) {
    const path = new URL(l).pathname;
    assert.equal((await get(path)).status, 200, path);
  }
  assert.ok(BASE);
});

test('healthz answers 200 ok', async () => {
  const res = await get('/healthz');
  assert.equal(res.status, 200);
  assert.match(res.text_, /ok/);
  assert.equal(res.headers.get('x-cache'), null, 'never cached');
});
