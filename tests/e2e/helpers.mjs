// Shared helpers of the end-to-end tests. ./dev test starts a throwaway stack
// and passes its details in SOUK_TEST_* variables; against `./dev up` run
//   SOUK_TEST_URL=http://127.0.0.1:8080 node --test tests/e2e/
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export const BASE = (process.env.SOUK_TEST_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const OUTPUT = process.env.SOUK_TEST_OUTPUT || resolve(import.meta.dirname ?? '.', '../../test-output');

export function outputDir() {
  mkdirSync(OUTPUT, { recursive: true });
  return OUTPUT;
}

let bust = 0;
/** A query parameter that makes a URL miss nginx's micro-cache. */
export function cacheBuster() {
  return `_t=${process.pid}-${Date.now()}-${++bust}`;
}

/**
 * fetch() relative to BASE, never following redirects; returns the response
 * with its body read as text in `res.text_`.
 */
export async function get(path, init = {}) {
  const url = path.startsWith('http') ? path : BASE + path;
  const res = await fetch(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(init.timeout ?? 30000) });
  res.text_ = await res.text();
  return res;
}

/** GET that must answer 200 text/html; returns the HTML. */
export async function page(path, init) {
  const res = await get(path, init);
  assert.equal(res.status, 200, `GET ${path} → ${res.status}\n${res.text_.slice(0, 500)}`);
  assert.match(res.headers.get('content-type') || '', /^text\/html/, `GET ${path}: content-type`);
  return res.text_;
}

/** Minimal HTML entity decoding for text taken out of markup. */
export function decode(s) {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"').replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&nbsp;/g, '\u00a0')
    .replace(/&amp;/g, '&');
}

export function stripTags(s) {
  return decode(s.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
}

/**
 * A displayed price ("$1,250.00", "R 1 250,00", "¥150") as
 * {currency: the symbol or code, minor: integer in minor units}.
 */
export function parsePrice(text) {
  const t = decode(text).trim();
  const num = t.match(/\d[\d\s.,\u00a0\u202f']*/);
  if (!num) return null;
  const raw = num[0].replace(/[\s.,\u00a0\u202f']+$/, '');
  const currency = t.replace(num[0], '').replace(/[\s\u00a0\u202f]/g, '');
  const dec = raw.match(/^(.*)[.,](\d{2})$/);
  const whole = (dec ? dec[1] : raw).replace(/\D/g, '');
  const minor = Number(whole || '0') * 100 + (dec ? Number(dec[2]) : 0);
  return { currency, minor };
}

const SYMBOLS = { $: 'USD', '¥': 'CNY', R: 'ZAR', US$: 'USD' };
let rates;
/**
 * US cents per minor unit of each currency, from the fx_rates table that the
 * listing filters and the price sort use (read with psql).
 */
export function fxRates() {
  if (!rates) {
    const db = process.env.SOUK_TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:15432/souk';
    const out = execFileSync('psql', ['-X', '-At', '-F', ' ', db, '-c', 'SELECT currency, usd_cents_per_minor FROM fx_rates'],
      { encoding: 'utf8' });
    rates = Object.fromEntries(out.trim().split('\n').map((l) => l.split(' ')).map(([c, r]) => [c, Number(r)]));
  }
  return rates;
}

/** A card's starting price in US cents, as the server compares prices. */
export function usdMinor(card) {
  if (card.data['price-usd-minor'] != null) return Number(card.data['price-usd-minor']);
  const code = SYMBOLS[card.currency] || card.currency;
  const rate = fxRates()[code];
  assert.ok(rate, `a rate for ${card.currency} (${card.priceText})`);
  return Math.round(card.priceMinor * rate);
}

/**
 * The gig cards of a listing page (partials/gig_card): url, title, level,
 * rating, price, lang, plus data-* attributes when the template has them.
 */
export function gigCards(html) {
  const cards = [];
  const re = /<article\b[^>]*class="[^"]*\bgig-card\b[^"]*"[^>]*>([\s\S]*?)<\/article>/g;
  for (const m of html.matchAll(re)) {
    const open = m[0].slice(0, m[0].indexOf('>') + 1);
    const body = m[1];
    const data = {};
    for (const a of open.matchAll(/\bdata-([a-z0-9-]+)="([^"]*)"/g)) data[a[1]] = decode(a[2]);
    const title = body.match(/class="gig-card__title"[^>]*>\s*<a href="([^"]+)"[^>]*>([\s\S]*?)<\/a>/);
    const titleLang = body.match(/class="gig-card__title"[^>]*\blang="([^"]*)"/) ||
                      body.match(/\blang="([^"]*)"[^>]*class="gig-card__title"/);
    const level = body.match(/class="badge badge--([a-z0-9_]+)"/);
    const rating = body.match(/class="rating__value">([^<]*)</);
    const price = body.match(/class="gig-card__price"[^>]*>[\s\S]*?<strong>([\s\S]*?)<\/strong>/);
    const p = price ? parsePrice(stripTags(price[1])) : null;
    cards.push({
      url: title ? decode(title[1]) : null,
      title: title ? stripTags(title[2]) : null,
      lang: data.lang ?? (titleLang ? titleLang[1] : null),
      level: data.level ?? (level ? level[1] : null),
      rating: data.rating != null ? Number(data.rating) : rating ? Number(rating[1]) : null,
      priceText: price ? stripTags(price[1]) : null,
      currency: data.currency ?? (p ? p.currency : null),
      priceMinor: data['price-minor'] != null ? Number(data['price-minor']) : p ? p.minor : null,
      deliveryDays: data['delivery-days'] != null ? Number(data['delivery-days']) : null,
      data,
    });
  }
  return cards;
}

/** Category links (/c/<slug>) in the order they appear, without duplicates. */
export function categoryLinks(html) {
  return [...new Set([...html.matchAll(/href="(\/c\/[a-z0-9-]+)"/g)].map((m) => m[1]))];
}

/** The pagination block's "next" link, or null. */
export function nextLink(html) {
  const m = html.match(/<a\b[^>]*href="([^"]+)"[^>]*rel="next"/) || html.match(/<a\b[^>]*rel="next"[^>]*href="([^"]+)"/);
  return m ? decode(m[1]) : null;
}

/** Asserts the headers every HTML response must carry. */
export function assertCommonHeaders(res, what) {
  assert.match(res.headers.get('x-request-id') || '', /^[0-9A-Za-z-]{8,}$/, `${what}: X-Request-Id`);
  const csp = res.headers.get('content-security-policy') || '';
  assert.match(csp, /default-src 'self'/, `${what}: CSP default-src`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, `${what}: CSP without unsafe-*`);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
}

let homeCache;
/** The home page and what tests navigate from: categories and featured gigs. */
export async function home() {
  if (!homeCache) {
    const html = await page('/');
    homeCache = { html, categories: categoryLinks(html), gigs: gigCards(html) };
  }
  return homeCache;
}

/** The category (from the home page) with the most services, by its listing count. */
export async function biggestCategory() {
  const { categories } = await home();
  let best = null;
  for (const path of categories) {
    const html = await page(path);
    const m = stripTags(html).match(/(\d+) services available/);
    const total = m ? Number(m[1]) : gigCards(html).length;
    if (!best || total > best.total) best = { path, total, html };
  }
  return best;
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls fn() until it returns truthy or `ms` pass; returns the last value. */
export async function until(fn, ms, step = 250) {
  const end = Date.now() + ms;
  let v;
  for (;;) {
    try { v = await fn(); } catch (e) { v = undefined; }
    if (v || Date.now() > end) return v;
    await sleep(step);
  }
}
