#!/usr/bin/env node
// souk-paysim - a local stand-in for the sandboxes of PayFast, Ozow, Stripe,
// PayPal, Alipay and WeChat Pay, speaking each real protocol as
// ../shared/docs/payment-gateways.md describes it (§1-§6; §7 = what a
// simulator must do).  ./dev up and ./dev test start it and point souk-web
// and souk-worker at it (souk-web.conf).  Node 18+, the standard library only.
//
//   node tests/tools/souk-paysim.mjs --port 18090 --host 127.0.0.1 \
//        --notify-base http://127.0.0.1:8080 --keys var/paysim-keys [--log FILE]
//
// Other flags: --retry-base-ms 1000 --retry-cap-ms 8000 --retry-max 8 (the
// compressed retry schedule: base, 2*base, 4*base ... capped, at most N
// attempts), --lag-ms 200 (how long after the browser redirect the
// notification leaves), --stripe-secrets whsec_a[,whsec_b] (two = rotation:
// two v1 signatures), --validate-timeout-ms 30000, --init-keys (make the key
// files and exit).
//
// Layout (base = http://127.0.0.1:<port>):
//   PayFast  POST /payfast/eng/process (hosted page), POST /payfast/eng/query/validate,
//            /payfast/api/* (ping, refunds/query/{id}, refunds/{id}, process/query/{id})
//   Ozow     POST|GET /ozow/ (hosted page), POST /ozow/api/PostPaymentRequest,
//            GET /ozow/api/GetTransaction, GET /ozow/api/GetTransactionByReference,
//            POST /ozow/api/token, POST /ozow/api/secure/refunds/submit
//   Stripe   /stripe/v1/payment_intents[/{id}[/cancel]], /stripe/v1/refunds,
//            /stripe/v1/transfers[/{id}[/reversals]]; hosted page
//            GET /stripe/pay?payment_intent=&client_secret=&return_url=&cancel_url=
//            (the payment's reference is metadata[reference], else description)
//   PayPal   /paypal/v1/oauth2/token, /paypal/v2/checkout/orders[/{id}[/capture]],
//            /paypal/v2/payments/captures/{id}/refund,
//            /paypal/v1/notifications/verify-webhook-signature,
//            GET /paypal/v1/notifications/certs/CERT-SOUKSIM; approve link
//            GET /paypal/checkoutnow?token=<order id>
//   Alipay   GET|POST /alipay/gateway.do: alipay.trade.page.pay / wap.pay (hosted
//            page), alipay.trade.query, alipay.trade.refund, alipay.trade.close
//   WeChat   /wechat/v3/pay/transactions/native, .../out-trade-no/{no}[/close],
//            .../id/{id}, /wechat/v3/refund/domestic/refunds[/{no}]; the code_url is
//            weixin://wxpay/bizpayurl?pr=<id> as in production, and the buyer's phone
//            "scanning" it is the page base/wechat/pay/<id> (or GET
//            base/wechat/scan?code_url=<the weixin:// URL>, which redirects there)
//
// Control (tests):
//   POST /_control {"reference": "<ref>"|"*", "duplicate": n, "delay_ms": n,
//        "tamper": "amount"|"signature"|"source"|"serial"|"header"|"probe",
//        "replay": true, "order": "reverse", "pending": true, "stale_s": n,
//        "count": n, "validate": "invalid"|"error"|"timeout"|null,
//        "status_api": "error"|"timeout"|null, "start": "error"|"timeout"|null,
//        "transfers": "error"|"reject"|null}
//     The notification knobs (duplicate ... stale_s) apply to the next `count`
//     (default 1) notification batches of that reference; "*" applies to every
//     reference until reset.  validate, status_api and start stay until set to null.
//     start = Stripe's PaymentIntent create for that reference answers 500
//     (error) or never (timeout), and nothing is created or stored.
//     transfers = Stripe's POST /v1/transfers to that destination ("reference":
//     the acct_ id, or "*") answers 500 (error) or 400 (reject), nothing stored;
//     stays until set to null.  GET /stripe/v1/transfers[?destination=] lists them.
//     duplicate n = the same notification delivered n times at once.
//     tamper amount = amount changed and the signature correctly recomputed;
//     signature = signed with a wrong key/secret/passphrase; source = sent
//     from 127.0.0.2 instead of 127.0.0.1.  pending = a pending notification
//     before the final one; order reverse = final first, then pending.
//     replay = after the acknowledgement, the very same bytes once more.
//     stale_s = Stripe/WeChat timestamps that many seconds in the past.
//     {"reset": true} clears every knob; {"retry": {"base_ms", "cap_ms",
//     "max_attempts"}, "lag_ms": n} change the delivery settings.
//   GET  /_log[?gateway=&reference=&kind=&since=<seq>]  every notification
//        attempt (kind "notify") with its request and answer, every validate
//        call (kind "validate") and hosted-page action (kind "action"), JSON.
//   POST /_pay/<gateway>/<reference> {"action": "approve"|"decline"|"cancel"}
//        what the hosted page's buttons do; answers JSON {redirect, state, ...}.
//   GET  /_txn/<gateway>/<reference>  the simulator's record of the payment.
//
// Keys: --keys DIR gets, once, RSA 2048 key pairs (PKCS#8 / SPKI PEM)
// alipay-merchant.pem (+ .pub.pem), alipay-platform.pem, wechat-merchant.pem,
// wechat-platform.pem, paypal-key.pem and a self-signed paypal-cert.pem.
import http from 'node:http';
import crypto from 'node:crypto';
import querystring from 'node:querystring';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// ---------------------------------------------------------------------------
// credentials (the contract; the same in ./dev's souk-web.conf)
// ---------------------------------------------------------------------------
export const CREDS = {
  payfast: { merchant_id: '10000100', merchant_key: '46f0cd694581a', passphrase: 'jt7NOE43FZPn' },
  ozow: { site_code: 'TSTSTE0001', private_key: '215114531AFF7134A94C88CEEA48E', api_key: 'souk-ozow-api-key' },
  stripe: { secret_key: 'sk_test_souk', webhook_secret: 'whsec_soukpaysim' },
  paypal: { client_id: 'souk-paypal', secret: 'souk-paypal-secret', webhook_id: 'WH-SOUKSIM', cert_name: 'CERT-SOUKSIM' },
  alipay: { app_id: '2021000000000001', seller_id: '2088000000000001' },
  wechat: { mchid: '1900000001', appid: 'wxd678efh567hg6787', apiv3_key: 'souk-paysim-wechat-apiv3-key-32b',
    serial: 'SOUKMERCHANT01', platform_serial: 'SOUKPLATFORM01' },
};

// ---------------------------------------------------------------------------
// money: decimal text <-> integer minor units (never floats)
// ---------------------------------------------------------------------------
/** "1500.00" | "1500.5" | "1500" -> 150000; null when not a plain amount. */
export function decimalToMinor(s) {
  const m = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(String(s ?? '').trim());
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}
/** 150000 -> "1500.00" */
export function minorToDecimal(n) {
  const neg = n < 0; const a = Math.abs(n);
  return `${neg ? '-' : ''}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------
// PayFast (§1)
// ---------------------------------------------------------------------------
/** PHP urlencode(): A-Z a-z 0-9 - _ . kept, space -> +, the rest %XX upper case (§1.3). */
export function phpUrlencode(s) {
  let o = '';
  for (const c of Buffer.from(String(s), 'utf8')) {
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
        c === 0x2d || c === 0x5f || c === 0x2e) o += String.fromCharCode(c);
    else if (c === 0x20) o += '+';
    else o += '%' + c.toString(16).toUpperCase().padStart(2, '0');
  }
  return o;
}
const phpTrim = (s) => String(s).replace(/^[ \t\n\r\0\x0B]+|[ \t\n\r\0\x0B]+$/g, '');
const md5 = (s) => crypto.createHash('md5').update(s, 'utf8').digest('hex');

/** The checkout signature order (§1.2). */
export const PAYFAST_FIELDS = ['merchant_id', 'merchant_key', 'return_url', 'cancel_url', 'notify_url',
  'notify_method', 'name_first', 'name_last', 'email_address', 'cell_number', 'm_payment_id', 'amount',
  'item_name', 'item_description', 'custom_int1', 'custom_int2', 'custom_int3', 'custom_int4', 'custom_int5',
  'custom_str1', 'custom_str2', 'custom_str3', 'custom_str4', 'custom_str5', 'email_confirmation',
  'confirmation_address', 'currency', 'payment_method', 'subscription_type', 'billing_date',
  'recurring_amount', 'frequency', 'cycles', 'subscription_notify_email', 'subscription_notify_webhook',
  'subscription_notify_buyer'];

/** §1.3 string: documented order, empty values skipped, values trimmed and PHP-urlencoded, passphrase last. */
export function payfastCheckoutString(fields, passphrase) {
  const parts = [];
  for (const k of PAYFAST_FIELDS) {
    const v = fields[k];
    if (v === undefined || v === null || v === '') continue;
    parts.push(`${k}=${phpUrlencode(phpTrim(v))}`);
  }
  if (passphrase) parts.push(`passphrase=${phpUrlencode(phpTrim(passphrase))}`);
  return parts.join('&');
}
export const payfastCheckoutSignature = (fields, passphrase) => md5(payfastCheckoutString(fields, passphrase));

/** §1.5 ITN string: [key, value] pairs in posted order up to `signature`, empty values kept, not trimmed. */
export function payfastItnString(pairs, passphrase) {
  const parts = [];
  for (const [k, v] of pairs) {
    if (k === 'signature') break;
    parts.push(`${k}=${phpUrlencode(v)}`);
  }
  if (passphrase) parts.push(`passphrase=${phpUrlencode(passphrase)}`);
  return parts.join('&');
}
export const payfastItnSignature = (pairs, passphrase) => md5(payfastItnString(pairs, passphrase));

/** §1.7 API signature: headers + body + query + passphrase, sorted by key, empty skipped. */
export function payfastApiSignature(fields, passphrase) {
  const all = { ...fields };
  if (passphrase) all.passphrase = passphrase;
  const keys = Object.keys(all).filter((k) => all[k] !== '' && all[k] !== undefined && all[k] !== null)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return md5(keys.map((k) => `${k}=${phpUrlencode(String(all[k]))}`).join('&'));
}

// ---------------------------------------------------------------------------
// Ozow (§2)
// ---------------------------------------------------------------------------
export const OZOW_REQUEST_FIELDS = ['SiteCode', 'CountryCode', 'CurrencyCode', 'Amount', 'TransactionReference',
  'BankReference', 'Optional1', 'Optional2', 'Optional3', 'Optional4', 'Optional5', 'Customer', 'CancelUrl',
  'ErrorUrl', 'SuccessUrl', 'NotifyUrl', 'IsTest', 'SelectedBankId', 'BankAccountNumber', 'BranchCode',
  'BankAccountName', 'PayeeDisplayName', 'ExpiryDateUtc', 'AllowVariableAmount', 'VariableAmountMin',
  'VariableAmountMax', 'CustomerIdentifier', 'CustomerIdentityNumber'];
export const OZOW_RESPONSE_FIELDS = ['SiteCode', 'TransactionId', 'TransactionReference', 'Amount', 'Status',
  'Optional1', 'Optional2', 'Optional3', 'Optional4', 'Optional5', 'CurrencyCode', 'IsTest', 'StatusMessage'];
const sha512 = (s) => crypto.createHash('sha512').update(s, 'utf8').digest('hex');

/** §2.2 HashCheck: values in order (absent/empty add nothing; AllowVariableAmount=false left out) + key, lower-cased, SHA-512. */
export function ozowRequestHash(fields, privateKey) {
  let s = '';
  for (const k of OZOW_REQUEST_FIELDS) {
    const v = fields[k];
    if (v === undefined || v === null || v === '') continue;
    if (k === 'AllowVariableAmount' && String(v).toLowerCase() === 'false') continue;
    s += v;
  }
  return sha512((s + privateKey).toLowerCase());
}
/** §2.3 response/notification Hash. */
export function ozowResponseHash(fields, privateKey) {
  let s = '';
  for (const k of OZOW_RESPONSE_FIELDS) s += fields[k] ?? '';
  return sha512((s + privateKey).toLowerCase());
}
/** §2.6 refund HashCheck. */
export const ozowRefundHash = (transactionId, amount, reason, notifyUrl, privateKey) =>
  sha512(`${transactionId}${amount}${reason ?? ''}${notifyUrl ?? ''}${privateKey}`.toLowerCase());
export const OZOW_REFUND_NOTIFY_FIELDS = ['RefundId', 'TransactionId', 'CurrencyCode', 'Amount', 'Status',
  'BankName', 'AccountNumber', 'StatusMessage'];

// ---------------------------------------------------------------------------
// Stripe (§3)
// ---------------------------------------------------------------------------
/** §3.1 v1 = hex HMAC-SHA256(secret incl. whsec_, t + "." + raw body). */
export const stripeSignature = (secret, t, body) =>
  crypto.createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
export const stripeSignatureHeader = (secrets, t, body) =>
  [`t=${t}`, ...secrets.map((s) => `v1=${stripeSignature(s, t, body)}`)].join(',');

// ---------------------------------------------------------------------------
// PayPal (§4)
// ---------------------------------------------------------------------------
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
/** zlib/IEEE CRC-32 of the bytes, unsigned. */
export function crc32(buf) {
  let c = 0xffffffff;
  for (const b of Buffer.isBuffer(buf) ? buf : Buffer.from(buf, 'utf8')) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
/** §4 offline message: transmission_id|time|webhook_id|crc32(raw body) in decimal. */
export const paypalMessage = (id, time, webhookId, body) => `${id}|${time}|${webhookId}|${crc32(body)}`;

// ---------------------------------------------------------------------------
// RSA SHA256withRSA (PKCS#1 v1.5): Alipay RSA2, WeChat Pay v3, PayPal
// ---------------------------------------------------------------------------
export const rsaSign = (msg, privateKey) => crypto.sign('sha256', Buffer.from(msg, 'utf8'), privateKey).toString('base64');
export function rsaVerify(msg, sigB64, publicKey) {
  try {
    return crypto.verify('sha256', Buffer.from(msg, 'utf8'), publicKey, Buffer.from(String(sigB64), 'base64'));
  } catch { return false; }
}

// ---------------------------------------------------------------------------
// Alipay (§5)
// ---------------------------------------------------------------------------
/** §5.2/§5.3: sorted keys, raw values, `sign` (and for notifications `sign_type`) left out, empty dropped. */
export function alipaySignString(params, { withSignType = true } = {}) {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && (withSignType || k !== 'sign_type') && params[k] !== '' && params[k] != null)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((k) => `${k}=${params[k]}`).join('&');
}

// ---------------------------------------------------------------------------
// WeChat Pay (§6)
// ---------------------------------------------------------------------------
export const wechatRequestMessage = (method, url, ts, nonce, body) => `${method}\n${url}\n${ts}\n${nonce}\n${body ?? ''}\n`;
export const wechatResponseMessage = (ts, nonce, body) => `${ts}\n${nonce}\n${body}\n`;
/** AES-GCM (256 for a 32-byte key, 128 for 16) -> base64(ciphertext || 16-byte tag). */
export function wechatEncrypt(key, nonce, aad, plaintext) {
  const k = Buffer.from(key, 'utf8');
  const c = crypto.createCipheriv(k.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm', k, Buffer.from(nonce, 'utf8'));
  c.setAAD(Buffer.from(aad ?? '', 'utf8'));
  return Buffer.concat([c.update(Buffer.from(plaintext, 'utf8')), c.final(), c.getAuthTag()]).toString('base64');
}
export function wechatDecrypt(key, nonce, aad, b64) {
  const k = Buffer.from(key, 'utf8'); const all = Buffer.from(b64, 'base64');
  const d = crypto.createDecipheriv(k.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm', k, Buffer.from(nonce, 'utf8'));
  d.setAAD(Buffer.from(aad ?? '', 'utf8'));
  d.setAuthTag(all.subarray(all.length - 16));
  return Buffer.concat([d.update(all.subarray(0, all.length - 16)), d.final()]).toString('utf8');
}

// ---------------------------------------------------------------------------
// keys and a self-signed certificate (minimal DER, no openssl CLI needed)
// ---------------------------------------------------------------------------
function derLen(n) {
  if (n < 0x80) return Buffer.from([n]);
  const b = []; while (n) { b.unshift(n & 0xff); n = Math.floor(n / 256); }
  return Buffer.from([0x80 | b.length, ...b]);
}
const der = (tag, ...parts) => { const body = Buffer.concat(parts); return Buffer.concat([Buffer.from([tag]), derLen(body.length), body]); };
const derSeq = (...p) => der(0x30, ...p);
const derInt = (b) => der(0x02, b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
function derOid(s) {
  const a = s.split('.').map(Number); const out = [40 * a[0] + a[1]];
  for (let n of a.slice(2)) {
    const t = [n & 0x7f]; n = Math.floor(n / 128);
    while (n) { t.unshift((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
    out.push(...t);
  }
  return der(0x06, Buffer.from(out));
}
const derName = (cn) => derSeq(der(0x31, derSeq(derOid('2.5.4.3'), der(0x0c, Buffer.from(cn, 'utf8')))));
const derTime = (d) => der(0x17, Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'));
const pemOf = (label, buf) => `-----BEGIN ${label}-----\n${buf.toString('base64').match(/.{1,64}/g).join('\n')}\n-----END ${label}-----\n`;

/** A self-signed X.509 v3 certificate (sha256WithRSAEncryption) as PEM. */
export function selfSignedCert(privateKey, publicKey, cn, days = 3650) {
  const alg = derSeq(derOid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
  const now = new Date(Date.now() - 86400e3);
  const tbs = derSeq(der(0xa0, derInt(Buffer.from([2]))), derInt(crypto.randomBytes(8)), alg, derName(cn),
    derSeq(derTime(now), derTime(new Date(now.getTime() + days * 86400e3))), derName(cn),
    publicKey.export({ type: 'spki', format: 'der' }));
  const sig = crypto.sign('sha256', tbs, privateKey);
  return pemOf('CERTIFICATE', derSeq(tbs, alg, der(0x03, Buffer.concat([Buffer.from([0]), sig]))));
}

const KEY_PAIRS = ['alipay-merchant', 'alipay-platform', 'wechat-merchant', 'wechat-platform'];
/** Make the missing key files in DIR; returns {name: KeyObject} (private keys, public keys as name.pub). */
export function ensureKeys(dir) {
  mkdirSync(dir, { recursive: true });
  const keys = {};
  const writeAtomic = (f, data, mode = 0o600) => { writeFileSync(f + '.tmp', data, { mode }); renameSync(f + '.tmp', f); };
  for (const name of [...KEY_PAIRS, 'paypal']) {
    const privFile = join(dir, name === 'paypal' ? 'paypal-key.pem' : `${name}.pem`);
    const pubFile = join(dir, name === 'paypal' ? 'paypal-key.pub.pem' : `${name}.pub.pem`);
    if (!existsSync(privFile)) {
      const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeAtomic(privFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    }
    const priv = crypto.createPrivateKey(readFileSync(privFile));
    const pub = crypto.createPublicKey(priv);
    if (!existsSync(pubFile)) writeAtomic(pubFile, pub.export({ type: 'spki', format: 'pem' }), 0o644);
    keys[name] = priv; keys[name + '.pub'] = pub;
  }
  const certFile = join(dir, 'paypal-cert.pem');
  if (!existsSync(certFile)) writeAtomic(certFile, selfSignedCert(keys.paypal, keys['paypal.pub'], 'souk-paysim PayPal webhook signing'), 0o644);
  keys.paypalCertPem = readFileSync(certFile, 'utf8');
  // what a wrong signer uses (tamper = signature): never written to disk
  keys.wrong = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  return keys;
}

// ---------------------------------------------------------------------------
// small helpers
// ---------------------------------------------------------------------------
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const rand = (n, alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789') => {
  let s = ''; const b = crypto.randomBytes(n);
  for (let i = 0; i < n; i++) s += alphabet[b[i] % alphabet.length];
  return s;
};
const digits = (n) => rand(n, '0123456789');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nowS = () => Math.floor(Date.now() / 1000);
/** "2025-01-15T10:00:00+08:00" */
const chinaTime = (ms = Date.now()) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 19) + '+08:00';
/** "2025-01-15 10:00:00" in China time (Alipay) */
const alipayTime = (ms = Date.now()) => new Date(ms + 8 * 3600e3).toISOString().slice(0, 19).replace('T', ' ');
const isoS = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const withQuery = (url, params) => {
  const q = Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v ?? '')}`).join('&');
  return q ? url + (url.includes('?') ? '&' : '?') + q : url;
};

/** Form body -> ordered [key, value] pairs ('+' = space; bad escapes kept as they are). */
export function parseFormPairs(body) {
  const out = [];
  if (!body) return out;
  for (const part of String(body).split('&')) {
    if (part === '') continue;
    const i = part.indexOf('=');
    const dec = (s) => { s = s.replace(/\+/g, ' '); try { return decodeURIComponent(s); } catch { return querystring.unescape(s); } };
    out.push(i < 0 ? [dec(part), ''] : [dec(part.slice(0, i)), dec(part.slice(i + 1))]);
  }
  return out;
}
const pairsToObject = (pairs) => { const o = {}; for (const [k, v] of pairs) if (!(k in o)) o[k] = v; return o; };

/** Stripe-style bracket params -> nested object (a[b]=1, a[]=x). */
function nestParams(pairs) {
  const root = {};
  for (const [key, value] of pairs) {
    const path = key.replace(/\]/g, '').split('[');
    let o = root;
    for (let i = 0; i < path.length; i++) {
      const p = path[i]; const last = i === path.length - 1;
      if (last) {
        if (p === '') { if (Array.isArray(o)) o.push(value); }
        else o[p] = value;
      } else {
        const nextIsArray = path[i + 1] === '' || /^\d+$/.test(path[i + 1]);
        if (o[p] === undefined) o[p] = nextIsArray ? [] : {};
        o = o[p];
      }
    }
  }
  return root;
}

/** The raw text of the value of top-level key @key in JSON @text, or null (no re-serialising). */
export function rawJsonMember(text, key) {
  let i = 0; const n = text.length;
  const ws = () => { while (i < n && /\s/.test(text[i])) i++; };
  const str = () => { const s = i; i++; while (i < n && text[i] !== '"') { if (text[i] === '\\') i++; i++; } i++; return text.slice(s, i); };
  const value = () => {
    ws(); const s = i;
    if (text[i] === '"') { str(); return text.slice(s, i); }
    if (text[i] === '{' || text[i] === '[') {
      let depth = 0;
      while (i < n) {
        const c = text[i];
        if (c === '"') { str(); continue; }
        if (c === '{' || c === '[') depth++;
        if (c === '}' || c === ']') { depth--; if (depth === 0) { i++; break; } }
        i++;
      }
      return text.slice(s, i);
    }
    while (i < n && !/[,}\]\s]/.test(text[i])) i++;
    return text.slice(s, i);
  };
  ws(); if (text[i] !== '{') return null; i++;
  for (;;) {
    ws(); if (text[i] !== '"') return null;
    const k = JSON.parse(str()); ws(); if (text[i] !== ':') return null; i++;
    const v = value();
    if (k === key) return v;
    ws(); if (text[i] === ',') { i++; continue; }
    return null;
  }
}

// ---------------------------------------------------------------------------
// the simulator
// ---------------------------------------------------------------------------
export function createPaysim(opts = {}) {
  const S = {
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 18090,
    notifyBase: (opts.notifyBase ?? 'http://127.0.0.1:8080').replace(/\/+$/, ''),
    keysDir: resolve(opts.keysDir ?? 'var/paysim-keys'),
    logFile: opts.logFile ?? null,
    lagMs: opts.lagMs ?? 200,
    retryBaseMs: opts.retryBaseMs ?? 1000,
    retryCapMs: opts.retryCapMs ?? 8000,
    retryMax: opts.retryMax ?? 8,
    validateTimeoutMs: opts.validateTimeoutMs ?? 30000,
    stripeSecrets: opts.stripeSecrets ?? [CREDS.stripe.webhook_secret],
    quiet: opts.quiet ?? false,
  };
  const keys = ensureKeys(S.keysDir);
  let base = '';          // http://host:port once listening

  // -- log --------------------------------------------------------------
  function log(msg, fields = {}) {
    const kv = Object.entries(fields)
      .map(([k, v]) => `${k}="${String(v).replace(/["\\\r\n]/g, '?').slice(0, 300)}"`).join(' ');
    const line = `ts=${new Date().toISOString()} prog=souk-paysim pid=${process.pid} msg="${msg}"${kv ? ' ' + kv : ''}\n`;
    if (!S.quiet) process.stdout.write(line);
    if (S.logFile) { try { appendFileSync(S.logFile, line); } catch { /* ignore */ } }
  }
  const events = [];      // GET /_log
  let seq = 0;
  const record = (e) => { const r = { seq: ++seq, at: new Date().toISOString(), ...e }; events.push(r); if (events.length > 20000) events.shift(); return r; };

  // -- payments ---------------------------------------------------------
  // txn: {gateway, reference, id, sid, amount_minor, amount_text, currency,
  //       item_name, merchant, state, return_url, cancel_url, notify_url, f (gateway-specific)}
  const byRef = new Map();   // `${gw}:${ref}` -> [txn, ...] (latest last)
  const byId = new Map();    // `${gw}:${id}` -> txn (gateway ids, hosted-page session ids)
  function addTxn(t) {
    t.created = Date.now(); t.state = t.state ?? 'created'; t.refunds = []; t.refunded_minor = 0;
    const k = `${t.gateway}:${t.reference}`;
    if (!byRef.has(k)) byRef.set(k, []);
    byRef.get(k).push(t);
    if (t.id) byId.set(`${t.gateway}:${t.id}`, t);
    if (t.sid) byId.set(`${t.gateway}:${t.sid}`, t);
    log('payment created', { gateway: t.gateway, reference: t.reference, id: t.id, amount: t.amount_minor, currency: t.currency });
    return t;
  }
  const latest = (gw, ref) => { const l = byRef.get(`${gw}:${ref}`); return l ? l[l.length - 1] : null; };
  const findTxn = (gw, refOrId) => byId.get(`${gw}:${refOrId}`) ?? latest(gw, refOrId);

  // -- knobs (POST /_control) ------------------------------------------
  const ONE_SHOT = ['duplicate', 'delay_ms', 'tamper', 'replay', 'order', 'pending', 'stale_s'];
  const knobs = new Map();   // reference | '*' -> {...}
  function takeKnobs(ref) {
    const own = knobs.get(ref); const all = knobs.get('*') ?? {};
    const out = {};
    for (const k of ONE_SHOT) if (all[k] !== undefined) out[k] = all[k];
    if (own && ONE_SHOT.some((k) => own[k] !== undefined)) {
      for (const k of ONE_SHOT) if (own[k] !== undefined) out[k] = own[k];
      own.count = (own.count ?? 1) - 1;
      if (own.count <= 0) { for (const k of ONE_SHOT) delete own[k]; delete own.count; }
    }
    return out;
  }
  const persistentKnob = (ref, name) => knobs.get(ref)?.[name] ?? knobs.get('*')?.[name] ?? null;

  // -- notification delivery -------------------------------------------
  function send(url, headers, body, localAddress) {
    return new Promise((resolve_) => {
      let u;
      try { u = new URL(url); } catch { resolve_({ status: 0, body: '', error: 'bad url' }); return; }
      if (u.protocol !== 'http:') { resolve_({ status: 0, body: '', error: `only http:// is simulated (${u.protocol})` }); return; }
      const buf = Buffer.from(body, 'utf8');
      const req = http.request(u, {
        method: 'POST', agent: false, localAddress, timeout: 30000,
        headers: { ...headers, 'Content-Length': buf.length, 'User-Agent': 'souk-paysim', Connection: 'close' },
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve_({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => resolve_({ status: 0, body: '', error: e.message }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve_({ status: 0, body: '', error: e.message }));
      req.end(buf);
    });
  }
  const backoff = (attempt) => Math.min(S.retryBaseMs * 2 ** (attempt - 1), S.retryCapMs);

  let deliveryCounter = 0;
  /**
   * n = {gateway, reference, event, url, make(attempt) -> {headers, body}, ack(res) -> bool, knobs}
   * Resolves when the first attempt has been answered; the retries go on.
   */
  function startDelivery(n, copy, onDone) {
    let firstResolve; const first = new Promise((r) => { firstResolve = r; });
    const from = n.knobs.tamper === 'source' ? '127.0.0.2' : '127.0.0.1';
    (async () => {
      let acked = false;
      for (let attempt = 1; ; attempt++) {
        const { headers, body } = n.make(attempt);
        n.firstSent ??= { headers, body };
        const res = await send(n.url, headers, body, from);
        acked = !res.error && n.ack(res);
        record({ kind: 'notify', gateway: n.gateway, reference: n.reference, event: n.event, delivery: n.id, copy,
          attempt, url: n.url, from, fault: n.fault, request: { headers, body }, status: res.status,
          answer: (res.body ?? '').slice(0, 2000), error: res.error ?? null, acked });
        log('notification', { gateway: n.gateway, reference: n.reference, event: n.event, delivery: n.id, copy, attempt,
          status: res.status, acked, error: res.error ?? '' });
        if (attempt === 1) firstResolve();
        if (acked) break;
        if (attempt >= S.retryMax) { log('notification given up', { gateway: n.gateway, reference: n.reference, delivery: n.id }); break; }
        await sleep(backoff(attempt));
      }
      onDone?.(acked);
    })();
    return first;
  }

  /** Deliver a batch (e.g. [pending, final]) for one payment action, after the browser redirect. */
  function notifyBatch(gateway, reference, k, list) {
    if (k.order === 'reverse') list = [...list].reverse();
    const wait = S.lagMs + (Number(k.delay_ms) || 0);
    const copies = Math.max(1, Number(k.duplicate) || 1);
    setTimeout(async () => {
      for (const n of list) {
        n.id = `${gateway}-${++deliveryCounter}`;
        n.knobs = k;
        n.fault = Object.keys(k).length ? k : null;
        let pending = copies; let allAcked = true;
        const done = (ok) => {
          allAcked = allAcked && ok;
          if (--pending === 0 && k.replay && allAcked) {
            setTimeout(async () => {
              const { headers, body } = n.firstSent ?? n.make(1);   // the very bytes first sent
              const from = k.tamper === 'source' ? '127.0.0.2' : '127.0.0.1';
              const res = await send(n.url, headers, body, from);
              record({ kind: 'notify', gateway, reference, event: n.event, delivery: n.id, copy: 'replay', attempt: 1,
                url: n.url, from, fault: { ...n.fault, replayed: true }, request: { headers, body }, status: res.status,
                answer: (res.body ?? '').slice(0, 2000), error: res.error ?? null, acked: !res.error && n.ack(res) });
              log('notification replayed', { gateway, reference, delivery: n.id, status: res.status });
            }, 300);
          }
        };
        const firsts = [];
        for (let c = 1; c <= copies; c++) firsts.push(startDelivery(n, c, done));
        await Promise.all(firsts);
      }
    }, wait);
  }

  // -- HTTP plumbing ----------------------------------------------------
  function reply(res, status, body, type = 'text/plain; charset=utf-8', headers = {}) {
    const buf = Buffer.from(body ?? '', 'utf8');
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': buf.length, 'Cache-Control': 'no-store', ...headers });
    res.end(buf);
  }
  const json = (res, status, obj, headers = {}) => reply(res, status, typeof obj === 'string' ? obj : JSON.stringify(obj), 'application/json; charset=utf-8', headers);
  const redirect = (res, url) => reply(res, 303, `See ${url}\n`, 'text/plain; charset=utf-8', { Location: url });

  function page(title, bodyHtml) {
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
main{max-width:34rem;margin:3rem auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin-top:0} .sandbox{font-size:.8rem;color:#7a4b00;background:#fff3d6;padding:.2rem .5rem;border-radius:4px}
dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem} dt{color:#5b6475} dd{margin:0;font-weight:600}
.buttons{display:flex;gap:.6rem;margin-top:1.5rem;flex-wrap:wrap} button{font:inherit;padding:.6rem 1.2rem;border-radius:6px;border:1px solid #8891a0;background:#fff;cursor:pointer}
button[value=approve]{background:#0b6e4f;color:#fff;border-color:#0b6e4f} .error{color:#a11}
</style></head><body><main>
${bodyHtml}
</main></body></html>
`;
  }
  function payPage(res, gwLabel, t, action, hidden = {}) {
    const hid = Object.entries(hidden).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('\n');
    reply(res, 200, page(`${gwLabel}: pay ${t.currency} ${minorToDecimal(t.amount_minor)}`, `
<p class="sandbox">Sandbox: souk-paysim plays ${esc(gwLabel)}. No real money moves.</p>
<h1>${esc(gwLabel)}</h1>
<p id="summary">Pay <strong id="amount" data-amount-minor="${t.amount_minor}" data-currency="${esc(t.currency)}">${esc(t.currency)} ${esc(minorToDecimal(t.amount_minor))}</strong> to <strong id="merchant">${esc(t.merchant)}</strong>.</p>
<dl>
<dt>Merchant</dt><dd>${esc(t.merchant)}</dd>
<dt>Item</dt><dd>${esc(t.item_name)}</dd>
<dt>Amount</dt><dd>${esc(t.currency)} ${esc(minorToDecimal(t.amount_minor))}</dd>
<dt>Reference</dt><dd id="reference">${esc(t.reference)}</dd>
</dl>
<form method="post" action="${esc(action)}" aria-label="Pay or cancel">
${hid}
<div class="buttons">
<button type="submit" name="action" value="approve">Approve</button>
<button type="submit" name="action" value="decline">Decline</button>
<button type="submit" name="action" value="cancel">Cancel</button>
</div>
</form>`), 'text/html; charset=utf-8');
  }
  const errorPage = (res, status, title, detail) =>
    reply(res, status, page(title, `<h1 class="error">${esc(title)}</h1>\n<p>${esc(detail)}</p>`), 'text/html; charset=utf-8');
  const donePage = (res, t, text) =>
    reply(res, 200, page(text, `<h1>${esc(text)}</h1>\n<p>Reference <strong>${esc(t.reference)}</strong>, ${esc(t.currency)} ${esc(minorToDecimal(t.amount_minor))}.</p>`), 'text/html; charset=utf-8');

  // ======================================================================
  // PayFast (§1)
  // ======================================================================
  let pfNext = 1000000 + Number(digits(6));  // pf_payment_id
  const pfValid = new Set();        // ITN parameter strings (no signature) really sent, for /eng/query/validate
  function pfProcess(req, res, fields) {
    const pf = CREDS.payfast;
    if (fields.merchant_id !== pf.merchant_id || fields.merchant_key !== pf.merchant_key)
      return errorPage(res, 400, 'Merchant is invalid', 'merchant_id / merchant_key do not match a sandbox merchant.');
    const expect = payfastCheckoutSignature(fields, pf.passphrase);
    if (!fields.signature || fields.signature.toLowerCase() !== expect)
      return errorPage(res, 400, 'Signature mismatch', 'Generated signature does not match submitted signature.');
    const amount = decimalToMinor(fields.amount);
    if (amount === null || amount <= 0) return errorPage(res, 400, 'Invalid amount', `amount "${fields.amount}" is not a positive amount with 2 decimals.`);
    if (!fields.item_name) return errorPage(res, 400, 'Missing item_name', 'item_name is required.');
    if (fields.currency && fields.currency !== 'ZAR') return errorPage(res, 400, 'Invalid currency', 'Only ZAR is supported.');
    const t = addTxn({ gateway: 'payfast', reference: fields.m_payment_id ?? '', sid: rand(20), id: null,
      amount_minor: amount, amount_text: fields.amount, currency: 'ZAR', item_name: fields.item_name,
      merchant: 'Souk (sandbox merchant 10000100)', return_url: fields.return_url, cancel_url: fields.cancel_url,
      notify_url: fields.notify_url || `${S.notifyBase}/payments/notify/payfast`, f: fields });
    payPage(res, 'PayFast', t, `/payfast/eng/process/${t.sid}`);
  }
  function pfItn(t, status, k) {
    const f = t.f; const gross = t.amount_minor + (k.tamper === 'amount' ? 100 : 0);
    const fee = -(Math.floor(gross * 23 / 1000) + 200);
    const pairs = [['m_payment_id', f.m_payment_id ?? ''], ['pf_payment_id', t.id], ['payment_status', status],
      ['item_name', phpTrim(f.item_name ?? '')], ['item_description', phpTrim(f.item_description ?? '')],
      ['amount_gross', minorToDecimal(gross)], ['amount_fee', minorToDecimal(fee)], ['amount_net', minorToDecimal(gross + fee)]];
    for (let i = 1; i <= 5; i++) pairs.push([`custom_str${i}`, phpTrim(f[`custom_str${i}`] ?? '')]);
    for (let i = 1; i <= 5; i++) pairs.push([`custom_int${i}`, phpTrim(f[`custom_int${i}`] ?? '')]);
    pairs.push(['name_first', phpTrim(f.name_first ?? '')], ['name_last', phpTrim(f.name_last ?? '')],
      ['email_address', phpTrim(f.email_address ?? '')], ['merchant_id', CREDS.payfast.merchant_id]);
    const plain = payfastItnString(pairs, '');
    pfValid.add(plain);
    const sig = payfastItnSignature(pairs, k.tamper === 'signature' ? 'wrong-passphrase' : CREDS.payfast.passphrase);
    const body = `${plain}&signature=${sig}`;
    return { gateway: 'payfast', reference: t.reference, event: status, url: t.notify_url,
      make: () => ({ headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body }),
      ack: (r) => r.status === 200 };
  }
  function pfAction(t, action) {
    const k = takeKnobs(t.reference);
    if (action === 'approve') {
      t.state = 'paid'; t.id = t.id ?? String(pfNext++);
      byId.set(`payfast:${t.id}`, t);
      const list = []; if (k.pending) list.push(pfItn(t, 'PENDING', k));
      list.push(pfItn(t, 'COMPLETE', k));
      notifyBatch('payfast', t.reference, k, list);
      return t.return_url || null;
    }
    if (action === 'decline') {
      t.state = 'failed'; t.id = t.id ?? String(pfNext++);
      byId.set(`payfast:${t.id}`, t);
      notifyBatch('payfast', t.reference, k, [pfItn(t, 'FAILED', k)]);
      return t.cancel_url || null;
    }
    t.state = 'cancelled';
    return t.cancel_url || null;       // PayFast sends no data and no ITN on cancel
  }
  async function pfValidate(req, res, body) {
    const pairs = parseFormPairs(body).filter(([k]) => k !== 'signature');
    const plain = payfastItnString(pairs, '');
    const ref = pairsToObject(pairs).m_payment_id ?? '';
    const mode = persistentKnob(ref, 'validate');
    const known = pfValid.has(plain);
    let answer = known ? 'VALID' : 'INVALID'; let status = 200;
    if (mode === 'invalid') answer = 'INVALID';
    if (mode === 'error') { status = 500; answer = 'Internal Server Error'; }
    record({ kind: 'validate', gateway: 'payfast', reference: ref, request: { body }, status, answer, known, fault: mode, from: req.socket.remoteAddress });
    log('validate', { reference: ref, status, answer: mode === 'timeout' ? '(timeout)' : answer, known });
    if (mode === 'timeout') {
      await sleep(S.validateTimeoutMs);
      res.destroy();
      return;
    }
    reply(res, status, answer, 'text/html; charset=utf-8');
  }
  function pfApi(req, res, path, query, body) {
    const h = req.headers;
    const bodyFields = /json/.test(h['content-type'] ?? '') ? (safeJson(body) ?? {}) : pairsToObject(parseFormPairs(body));
    const sigFields = { 'merchant-id': h['merchant-id'], version: h.version, timestamp: h.timestamp, ...bodyFields };
    const q = { ...query };
    const ok = h.signature && [payfastApiSignature({ ...sigFields, ...q }, CREDS.payfast.passphrase),
      payfastApiSignature(sigFields, CREDS.payfast.passphrase)].includes(String(h.signature).toLowerCase());
    const fail = (code, msg) => json(res, code, { code, status: 'failed', data: { response: msg, message: false } });
    if (h['merchant-id'] !== CREDS.payfast.merchant_id || !h.version || !h.timestamp) return fail(400, 'Missing merchant-id, version or timestamp header');
    if (!ok) return fail(401, 'Signature mismatch');
    let m;
    if (req.method === 'GET' && path === '/ping') return json(res, 200, '"API v1"');
    const txnOf = (id) => byId.get(`payfast:${id}`);
    if ((m = /^\/refunds\/query\/([^/]+)$/.exec(path)) && req.method === 'GET') {
      const t = txnOf(m[1]); if (!t || t.state !== 'paid') return fail(404, 'Transaction not found');
      if (persistentKnob(t.reference, 'status_api') === 'error') return fail(500, 'Internal error (simulated)');
      const avail = t.amount_minor - t.refunded_minor;
      return json(res, 200, { code: 200, status: 'success', data: { response: {
        status: avail > 0 ? 'REFUNDABLE' : 'COMPLETED', pf_payment_id: t.id, amount_gross: t.amount_minor,
        amount_available: avail, refund_full: { method: 'PAYMENT_SOURCE' }, refund_partial: { method: 'PAYMENT_SOURCE' } } } });
    }
    if ((m = /^\/refunds\/([^/]+)$/.exec(path)) && req.method === 'POST') {
      const t = txnOf(m[1]); if (!t || t.state !== 'paid') return fail(404, 'Transaction not found');
      const amount = Number(bodyFields.amount);
      if (!Number.isInteger(amount) || amount <= 0) return fail(400, 'amount must be a positive integer in cents');
      if (amount > t.amount_minor - t.refunded_minor) return fail(400, 'Refund amount exceeds the available amount');
      const r = { refund_id: `${t.id}-R${t.refunds.length + 1}`, pf_payment_id: t.id, amount, reason: bodyFields.reason ?? '', status: 'COMPLETED', created: new Date().toISOString() };
      t.refunds.push(r); t.refunded_minor += amount;
      byId.set(`payfast-refund:${r.refund_id}`, r);
      log('refund', { gateway: 'payfast', reference: t.reference, amount });
      return json(res, 200, { code: 200, status: 'success', data: { response: true, message: 'Success', refund_id: r.refund_id } });
    }
    if ((m = /^\/refunds\/([^/]+)$/.exec(path)) && req.method === 'GET') {
      const r = byId.get(`payfast-refund:${m[1]}`); if (!r) return fail(404, 'Refund not found');
      return json(res, 200, { code: 200, status: 'success', data: { response: r } });
    }
    if ((m = /^\/process\/query\/([^/]+)$/.exec(path)) && req.method === 'GET') {
      const t = txnOf(m[1]); if (!t) return fail(404, 'Transaction not found');
      if (persistentKnob(t.reference, 'status_api') === 'error') return fail(500, 'Internal error (simulated)');
      return json(res, 200, { code: 200, status: 'success', data: { response: { pf_payment_id: t.id, m_payment_id: t.reference,
        status: { paid: 'COMPLETE', failed: 'FAILED', cancelled: 'CANCELLED' }[t.state] ?? 'PENDING', amount: t.amount_minor } } });
    }
    return fail(404, 'No such endpoint');
  }

  // ======================================================================
  // Ozow (§2)
  // ======================================================================
  function ozProcess(req, res, fields) {
    const oz = CREDS.ozow;
    if (fields.SiteCode !== oz.site_code) return errorPage(res, 400, 'Invalid site code', 'SiteCode is not a known site.');
    if (!fields.HashCheck || fields.HashCheck.toLowerCase() !== ozowRequestHash(fields, oz.private_key))
      return errorPage(res, 400, 'Hash check failed', 'The HashCheck value does not match the posted fields.');
    const amount = decimalToMinor(fields.Amount);
    if (amount === null || amount <= 0) return errorPage(res, 400, 'Invalid amount', 'Amount must be a decimal with 2 places.');
    if ((fields.CurrencyCode ?? 'ZAR') !== 'ZAR' || (fields.CountryCode ?? 'ZA') !== 'ZA') return errorPage(res, 400, 'Invalid currency', 'Only ZA / ZAR.');
    const t = addTxn({ gateway: 'ozow', reference: fields.TransactionReference ?? '', id: crypto.randomUUID(), sid: null,
      amount_minor: amount, amount_text: fields.Amount, currency: 'ZAR', item_name: fields.BankReference || fields.TransactionReference,
      merchant: 'Souk (sandbox site TSTSTE0001)', return_url: fields.SuccessUrl, cancel_url: fields.CancelUrl,
      notify_url: fields.NotifyUrl, f: fields, status_word: 'Pending', status_message: '' });
    t.sid = t.id;
    payPage(res, 'Ozow', t, `/ozow/pay/${t.id}`);
  }
  function ozFields(t, status, message, k) {
    const f = t.f;
    const o = { SiteCode: f.SiteCode, TransactionId: t.id, TransactionReference: f.TransactionReference ?? '',
      Amount: k.tamper === 'amount' ? minorToDecimal(t.amount_minor + 100) : f.Amount, Status: status,
      Optional1: f.Optional1 ?? '', Optional2: f.Optional2 ?? '', Optional3: f.Optional3 ?? '', Optional4: f.Optional4 ?? '',
      Optional5: f.Optional5 ?? '', CurrencyCode: f.CurrencyCode ?? 'ZAR', IsTest: f.IsTest ?? 'false', StatusMessage: message };
    o.Hash = ozowResponseHash(o, k.tamper === 'signature' ? 'WRONGPRIVATEKEY' : CREDS.ozow.private_key);
    return o;
  }
  function ozNotice(t, status, message, k) {
    const o = ozFields(t, status, message, k);
    const body = Object.entries(o).map(([a, b]) => `${encodeURIComponent(a)}=${encodeURIComponent(b)}`).join('&');
    return { gateway: 'ozow', reference: t.reference, event: status, url: t.notify_url,
      make: () => ({ headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body }), ack: (r) => r.status === 200 };
  }
  function ozAction(t, action) {
    const k = takeKnobs(t.reference);
    const [status, message, url] = action === 'approve' ? ['Complete', 'Transaction successful', t.f.SuccessUrl]
      : action === 'decline' ? ['Error', 'Payment declined by the bank (simulated)', t.f.ErrorUrl || t.f.CancelUrl]
        : ['Cancelled', 'Cancelled by the user', t.f.CancelUrl];
    t.state = { Complete: 'paid', Error: 'failed', Cancelled: 'cancelled' }[status];
    t.status_word = status; t.status_message = message; t.paid_at = new Date().toISOString();
    if (t.notify_url) {
      const list = []; if (k.pending) list.push(ozNotice(t, 'Pending', 'Pending bank confirmation', k));
      list.push(ozNotice(t, status, message, k));
      notifyBatch('ozow', t.reference, k, list);
    }
    // the browser gets the same variables (§2.3), untampered
    return url ? withQuery(url, ozFields(t, status, message, {})) : null;
  }
  const ozAmountJson = (t) => `__AMOUNT_${t.id}__`;
  function ozTxnJson(t) {
    return { transactionId: t.id, merchantCode: 'SOUK', siteCode: CREDS.ozow.site_code, transactionReference: t.reference,
      currencyCode: t.currency, amount: ozAmountJson(t), status: t.status_word, statusMessage: t.status_message,
      createdDate: new Date(t.created).toISOString(), paymentDate: t.paid_at ?? null };
  }
  // amount as a JSON number with exactly two decimals, as Ozow writes it ("amount": 25.00)
  const ozJson = (obj, txns) => { let s = JSON.stringify(obj); for (const t of txns) s = s.replace(`"${ozAmountJson(t)}"`, minorToDecimal(t.amount_minor)); return s; };
  function ozApi(req, res, path, query, body) {
    const apiKeyOk = req.headers.apikey === CREDS.ozow.api_key;
    if (path === '/GetTransaction' || path === '/GetTransactionByReference') {
      if (!apiKeyOk) return json(res, 401, { errorMessage: 'Unauthorized: bad ApiKey' });
      if (query.siteCode !== CREDS.ozow.site_code) return json(res, 400, { errorMessage: 'Invalid siteCode' });
      if (path === '/GetTransaction') {
        const t = byId.get(`ozow:${query.transactionId}`);
        if (t && persistentKnob(t.reference, 'status_api')) return statusApiFault(req, res, t, () => json(res, 500, { errorMessage: 'Internal error (simulated)' }));
        if (!t) return json(res, 404, { errorMessage: 'Transaction not found' });
        return json(res, 200, ozJson(ozTxnJson(t), [t]));
      }
      const ref = query.transactionReference ?? '';
      if (persistentKnob(ref, 'status_api')) return statusApiFault(req, res, null, () => json(res, 500, { errorMessage: 'Internal error (simulated)' }));
      const list = (byRef.get(`ozow:${ref}`) ?? []).slice(-10);
      return json(res, 200, ozJson(list.map(ozTxnJson), list));
    }
    if (path === '/PostPaymentRequest' && req.method === 'POST') {
      if (!apiKeyOk) return json(res, 401, { errorMessage: 'Unauthorized: bad ApiKey' });
      const j = safeJson(body) ?? {};
      const fields = {};
      for (const k of [...OZOW_REQUEST_FIELDS, 'HashCheck']) {
        const v = j[k] ?? j[k[0].toLowerCase() + k.slice(1)];
        if (v !== undefined && v !== null) fields[k] = typeof v === 'boolean' ? String(v) : String(v);
      }
      if (!fields.HashCheck || fields.HashCheck.toLowerCase() !== ozowRequestHash(fields, CREDS.ozow.private_key))
        return json(res, 400, { paymentRequestId: null, url: null, errorMessage: 'Hash check failed' });
      const id = crypto.randomUUID();
      pendingOzow.set(id, fields);
      return json(res, 200, { paymentRequestId: id, url: `${base}/ozow/${id}/Secure`, errorMessage: null });
    }
    if (path === '/token' && req.method === 'POST') {
      if (!apiKeyOk) return json(res, 401, { error: 'invalid_client' });
      const tok = rand(32); ozTokens.add(tok);
      return json(res, 200, { access_token: tok, token_type: 'bearer', expires_in: 3600 });
    }
    if (path === '/secure/refunds/submit' && req.method === 'POST') {
      const tok = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (!tok || !ozTokens.has(tok)) return json(res, 401, { error: 'invalid_token' });
      const arr = safeJson(body);
      if (!Array.isArray(arr)) return json(res, 400, [{ refundId: null, errors: ['body must be a JSON array'] }]);
      return json(res, 200, arr.map((r) => {
        const t = byId.get(`ozow:${r.transactionId}`);
        if (!t || t.state !== 'paid') return { refundId: null, errors: ['Transaction not found or not paid'] };
        if (String(r.HashCheck ?? r.hashCheck ?? '').toLowerCase() !== ozowRefundHash(r.transactionId, r.amount, r.refundReason, r.notifyUrl, CREDS.ozow.private_key))
          return { refundId: null, errors: ['Hash check failed'] };
        const amount = decimalToMinor(r.amount);
        if (amount === null || amount <= 0 || amount > t.amount_minor - t.refunded_minor) return { refundId: null, errors: ['Invalid refund amount'] };
        const rf = { refundId: crypto.randomUUID(), transactionId: t.id, amount, status: 'Complete' };
        t.refunds.push(rf); t.refunded_minor += amount;
        log('refund', { gateway: 'ozow', reference: t.reference, amount });
        if (r.notifyUrl) {
          const o = { RefundId: rf.refundId, TransactionId: t.id, CurrencyCode: 'ZAR', Amount: minorToDecimal(amount), Status: 'Complete',
            BankName: 'Sandbox Bank', AccountNumber: '****1234', StatusMessage: 'Refund complete' };
          o.Hash = sha512((OZOW_REFUND_NOTIFY_FIELDS.map((x) => o[x]).join('') + CREDS.ozow.private_key).toLowerCase());
          const b = Object.entries(o).map(([a, v]) => `${encodeURIComponent(a)}=${encodeURIComponent(v)}`).join('&');
          notifyBatch('ozow', t.reference, {}, [{ gateway: 'ozow', reference: t.reference, event: 'Refund Complete', url: r.notifyUrl,
            make: () => ({ headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: b }), ack: (x) => x.status === 200 }]);
        }
        return { refundId: rf.refundId, errors: null };
      }));
    }
    return json(res, 404, { errorMessage: 'No such endpoint' });
  }
  const pendingOzow = new Map();
  const ozTokens = new Set();

  // the status_api knob: "error" -> 500, "timeout" -> no answer
  async function statusApiFault(req, res, t, errorReply) {
    const ref = t?.reference ?? '';
    const mode = persistentKnob(ref, 'status_api') ?? 'error';
    record({ kind: 'status_api', reference: ref, path: req.url, fault: mode });
    if (mode === 'timeout') { await sleep(S.validateTimeoutMs); res.destroy(); return; }
    errorReply();
  }

  // ======================================================================
  // Stripe (§3)
  // ======================================================================
  const stripe = { pis: new Map(), charges: new Map(), refunds: new Map(), transfers: new Map(), idem: new Map() };
  const stripeErr = (res, status, type, message, extra = {}) => json(res, status, { error: { type, message, ...extra } });
  function piJson(t) {
    const p = t.f;
    return { id: t.id, object: 'payment_intent', amount: t.amount_minor, amount_capturable: 0,
      amount_received: t.state === 'paid' ? t.amount_minor : 0, capture_method: p.capture_method ?? 'automatic',
      client_secret: t.client_secret, confirmation_method: 'automatic', created: Math.floor(t.created / 1000),
      currency: t.currency.toLowerCase(), description: p.description ?? null, last_payment_error: t.last_payment_error ?? null,
      latest_charge: t.charge_id ?? null, livemode: false, metadata: p.metadata ?? {},
      payment_method_types: p.payment_method_types ?? ['card'], status: t.pi_status, transfer_group: p.transfer_group ?? null };
  }
  function stripeEvent(t, type, k) {
    const obj = piJson(t);
    if (k.tamper === 'amount') { obj.amount += 100; if (obj.amount_received) obj.amount_received += 100; }
    const id = `evt_${rand(24)}`; const created = nowS();
    const body = JSON.stringify({ id, object: 'event', api_version: '2024-06-20', created, data: { object: obj }, livemode: false,
      pending_webhooks: 1, request: { id: null, idempotency_key: null }, type });
    return { gateway: 'stripe', reference: t.reference, event: type, url: `${S.notifyBase}/payments/notify/stripe`,
      make: () => {
        const ts = nowS() - (Number(k.stale_s) || 0);     // Stripe signs every attempt afresh
        const secrets = k.tamper === 'signature' ? ['whsec_wrong_secret'] : S.stripeSecrets;
        return { headers: { 'Content-Type': 'application/json; charset=utf-8', 'Stripe-Signature': stripeSignatureHeader(secrets, ts, body) }, body };
      },
      ack: (r) => r.status >= 200 && r.status < 300 };
  }
  function stAction(t, action, returnUrl, cancelUrl) {
    const k = takeKnobs(t.reference);
    const back = (status) => returnUrl ? withQuery(returnUrl, { payment_intent: t.id, payment_intent_client_secret: t.client_secret, redirect_status: status }) : null;
    if (action === 'approve') {
      t.state = 'paid'; t.pi_status = 'succeeded'; t.charge_id = `ch_${rand(24)}`; t.last_payment_error = null;
      stripe.charges.set(t.charge_id, t);
      const list = [];
      if (k.pending) { t.pi_status = 'processing'; list.push(stripeEvent(t, 'payment_intent.processing', k)); t.pi_status = 'succeeded'; }
      list.push(stripeEvent(t, 'payment_intent.succeeded', k));
      notifyBatch('stripe', t.reference, k, list);
      return back('succeeded');
    }
    if (action === 'decline') {
      t.state = 'failed'; t.pi_status = 'requires_payment_method';
      t.last_payment_error = { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.', type: 'card_error' };
      notifyBatch('stripe', t.reference, k, [stripeEvent(t, 'payment_intent.payment_failed', k)]);
      return back('failed');
    }
    t.state = 'cancelled';
    return cancelUrl || back('canceled');
  }
  function stripeApi(req, res, path, query, body) {
    const auth = req.headers.authorization ?? '';
    const key = /^Bearer (.+)$/i.exec(auth)?.[1] ??
      (/^Basic (.+)$/i.exec(auth) ? Buffer.from(/^Basic (.+)$/i.exec(auth)[1], 'base64').toString().split(':')[0] : null);
    if (key !== CREDS.stripe.secret_key)
      return stripeErr(res, 401, 'invalid_request_error', `Invalid API Key provided: ${String(key ?? '').slice(0, 8)}****`);
    const pairs = req.method === 'GET' ? Object.entries(query) : parseFormPairs(body);
    const p = nestParams(pairs);
    const idemKey = req.headers['idempotency-key'];
    // start fault: the PaymentIntent create fails (500) or never answers; nothing is stored
    const startFault = path === '/v1/payment_intents' && req.method === 'POST' ?
      persistentKnob(String(p.metadata?.reference ?? ''), 'start') : null;
    if (startFault) {
      record({ kind: 'api', gateway: 'stripe', reference: String(p.metadata?.reference ?? ''), path, idempotency_key: idemKey, status: startFault === 'timeout' ? 0 : 500, fault: startFault });
      if (startFault === 'timeout') return sleep(S.validateTimeoutMs).then(() => res.destroy());
      return stripeErr(res, 500, 'api_error', 'An unknown error occurred (simulated).');
    }
    // transfers fault (knob keyed by the destination acct_ id, or "*"): error = 500 (a
    // retry with the same Idempotency-Key may succeed), reject = 400; nothing stored
    const transferFault = path === '/v1/transfers' && req.method === 'POST' ?
      persistentKnob(String(p.destination ?? ''), 'transfers') : null;
    if (transferFault) {
      record({ kind: 'api', gateway: 'stripe', reference: String(p.destination ?? ''), path, idempotency_key: idemKey, status: transferFault === 'reject' ? 400 : 500, fault: transferFault });
      if (transferFault === 'reject') return stripeErr(res, 400, 'invalid_request_error', `The destination account ${p.destination} cannot receive transfers (simulated).`, { param: 'destination' });
      return stripeErr(res, 500, 'api_error', 'An unknown error occurred (simulated).');
    }
    if (req.method === 'POST' && idemKey) {
      const fp = JSON.stringify([req.method, path, [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))]);
      const old = stripe.idem.get(idemKey);
      if (old) {
        if (old.fp !== fp) {
          record({ kind: 'api', gateway: 'stripe', path, idempotency_key: idemKey, status: 400, answer: 'idempotency_error' });
          return stripeErr(res, 400, 'idempotency_error', `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idemKey}' if you meant to execute a different request.`);
        }
        record({ kind: 'api', gateway: 'stripe', path, idempotency_key: idemKey, status: old.status, replayed: true });
        return json(res, old.status, old.body, { 'Idempotent-Replayed': 'true', 'Idempotency-Key': idemKey });
      }
      // run, then store the answer
      const cap = { status: 0, body: '' };
      const fake = { writeHead: (s) => { cap.status = s; }, end: (b) => { cap.body = b.toString('utf8'); } };
      stripeRoute(req, fake, path, p);
      if (cap.status === 0) return; // the timeout fault answers later (never stored)
      stripe.idem.set(idemKey, { fp, status: cap.status, body: cap.body });
      record({ kind: 'api', gateway: 'stripe', path, idempotency_key: idemKey, status: cap.status, replayed: false });
      return json(res, cap.status, cap.body, { 'Idempotency-Key': idemKey });
    }
    return stripeRoute(req, res, path, p);
  }
  function stripeRoute(req, res, path, p) {
    let m;
    const int = (v) => (/^\d+$/.test(String(v ?? '')) ? Number(v) : null);
    if (path === '/v1/payment_intents' && req.method === 'POST') {
      const amount = int(p.amount);
      if (!amount) return stripeErr(res, 400, 'invalid_request_error', 'Missing required param: amount.', { param: 'amount' });
      if (!p.currency) return stripeErr(res, 400, 'invalid_request_error', 'Missing required param: currency.', { param: 'currency' });
      const id = `pi_${rand(24)}`;
      const t = addTxn({ gateway: 'stripe', reference: p.metadata?.reference ?? p.metadata?.payment_reference ?? p.description ?? id,
        id, amount_minor: amount, currency: String(p.currency).toUpperCase(), item_name: p.description ?? '',
        merchant: 'Souk (Stripe test mode)', f: p, client_secret: `${id}_secret_${rand(24)}`, pi_status: 'requires_payment_method' });
      return json(res, 200, piJson(t));
    }
    if ((m = /^\/v1\/payment_intents\/([^/]+)$/.exec(path))) {
      const t = byId.get(`stripe:${m[1]}`);
      if (!t) return stripeErr(res, 404, 'invalid_request_error', `No such payment_intent: '${m[1]}'`, { code: 'resource_missing' });
      if (req.method === 'GET' && persistentKnob(t.reference, 'status_api'))
        return statusApiFault(req, res, t, () => stripeErr(res, 500, 'api_error', 'An unknown error occurred (simulated).'));
      if (req.method === 'POST') {
        if (p.metadata) t.f.metadata = { ...(t.f.metadata ?? {}), ...p.metadata };
        if (p.description) t.f.description = p.description;
      }
      return json(res, 200, piJson(t));
    }
    if ((m = /^\/v1\/payment_intents\/([^/]+)\/cancel$/.exec(path)) && req.method === 'POST') {
      const t = byId.get(`stripe:${m[1]}`);
      if (!t) return stripeErr(res, 404, 'invalid_request_error', `No such payment_intent: '${m[1]}'`, { code: 'resource_missing' });
      if (t.pi_status === 'succeeded' || t.pi_status === 'canceled')
        return stripeErr(res, 400, 'invalid_request_error', `You cannot cancel this PaymentIntent because it has a status of ${t.pi_status}.`, { code: 'payment_intent_unexpected_state' });
      t.pi_status = 'canceled'; t.state = 'cancelled';
      return json(res, 200, piJson(t));
    }
    if (path === '/v1/refunds' && req.method === 'POST') {
      const t = p.payment_intent ? byId.get(`stripe:${p.payment_intent}`) : stripe.charges.get(p.charge);
      if (!t) return stripeErr(res, 404, 'invalid_request_error', 'No such payment_intent or charge.', { code: 'resource_missing' });
      if (t.pi_status !== 'succeeded') return stripeErr(res, 400, 'invalid_request_error', 'This PaymentIntent does not have a successful charge to refund.');
      const left = t.amount_minor - t.refunded_minor;
      if (left <= 0) return stripeErr(res, 400, 'invalid_request_error', `Charge ${t.charge_id} has already been refunded.`, { code: 'charge_already_refunded' });
      const amount = p.amount === undefined ? left : int(p.amount);
      if (!amount || amount > left) return stripeErr(res, 400, 'invalid_request_error', `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`, { code: 'amount_too_large', param: 'amount' });
      const r = { id: `re_${rand(24)}`, object: 'refund', amount, charge: t.charge_id, created: nowS(), currency: t.currency.toLowerCase(),
        metadata: p.metadata ?? {}, payment_intent: t.id, reason: p.reason ?? null, status: 'succeeded' };
      t.refunds.push(r); t.refunded_minor += amount; stripe.refunds.set(r.id, r);
      log('refund', { gateway: 'stripe', reference: t.reference, amount, id: r.id });
      return json(res, 200, r);
    }
    if ((m = /^\/v1\/refunds\/([^/]+)$/.exec(path)) && req.method === 'GET') {
      const r = stripe.refunds.get(m[1]);
      return r ? json(res, 200, r) : stripeErr(res, 404, 'invalid_request_error', `No such refund: '${m[1]}'`, { code: 'resource_missing' });
    }
    if (path === '/v1/transfers' && req.method === 'POST') {
      const amount = int(p.amount);
      if (!amount) return stripeErr(res, 400, 'invalid_request_error', 'Missing required param: amount.', { param: 'amount' });
      if (!p.currency) return stripeErr(res, 400, 'invalid_request_error', 'Missing required param: currency.', { param: 'currency' });
      if (!/^acct_[A-Za-z0-9]+$/.test(p.destination ?? '')) return stripeErr(res, 400, 'invalid_request_error', `No such destination: '${p.destination ?? ''}'`, { param: 'destination' });
      if (p.source_transaction) {
        const c = stripe.charges.get(p.source_transaction);
        if (!c) return stripeErr(res, 400, 'invalid_request_error', `No such charge: '${p.source_transaction}'`, { param: 'source_transaction' });
        if (c.currency.toLowerCase() !== String(p.currency).toLowerCase()) return stripeErr(res, 400, 'invalid_request_error', 'The currency of source_transaction\'s balance transaction does not match the transfer currency.');
        const used = [...stripe.transfers.values()].filter((x) => x.source_transaction === p.source_transaction).reduce((a, x) => a + x.amount, 0);
        if (used + amount > c.amount_minor - c.refunded_minor) return stripeErr(res, 400, 'invalid_request_error', 'Insufficient funds in the source transaction.', { code: 'balance_insufficient' });
      }
      const tr = { id: `tr_${rand(24)}`, object: 'transfer', amount, amount_reversed: 0, created: nowS(), currency: String(p.currency).toLowerCase(),
        description: p.description ?? null, destination: p.destination, livemode: false, metadata: p.metadata ?? {},
        reversals: { object: 'list', data: [], has_more: false, total_count: 0 }, reversed: false,
        source_transaction: p.source_transaction ?? null, transfer_group: p.transfer_group ?? null };
      stripe.transfers.set(tr.id, tr);
      log('transfer', { id: tr.id, amount, destination: tr.destination });
      return json(res, 200, tr);
    }
    if (path === '/v1/transfers' && req.method === 'GET') {
      // list, newest first, optionally ?destination=acct_... (as Stripe's list API)
      const data = [...stripe.transfers.values()].filter((x) => !p.destination || x.destination === p.destination).reverse();
      return json(res, 200, { object: 'list', url: '/v1/transfers', has_more: false, data });
    }
    if ((m = /^\/v1\/transfers\/([^/]+)$/.exec(path)) && req.method === 'GET') {
      const tr = stripe.transfers.get(m[1]);
      return tr ? json(res, 200, tr) : stripeErr(res, 404, 'invalid_request_error', `No such transfer: '${m[1]}'`, { code: 'resource_missing' });
    }
    if ((m = /^\/v1\/transfers\/([^/]+)\/reversals$/.exec(path)) && req.method === 'POST') {
      const tr = stripe.transfers.get(m[1]);
      if (!tr) return stripeErr(res, 404, 'invalid_request_error', `No such transfer: '${m[1]}'`, { code: 'resource_missing' });
      const left = tr.amount - tr.amount_reversed;
      const amount = p.amount === undefined ? left : int(p.amount);
      if (!amount || amount > left) return stripeErr(res, 400, 'invalid_request_error', 'Reversal amount exceeds the transfer amount left.', { param: 'amount' });
      const rv = { id: `trr_${rand(24)}`, object: 'transfer_reversal', amount, created: nowS(), currency: tr.currency, metadata: p.metadata ?? {}, transfer: tr.id };
      tr.amount_reversed += amount; tr.reversed = tr.amount_reversed === tr.amount;
      tr.reversals.data.push(rv); tr.reversals.total_count++;
      return json(res, 200, rv);
    }
    return stripeErr(res, 404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${path}).`);
  }

  // ======================================================================
  // PayPal (§4)
  // ======================================================================
  const paypal = { tokens: new Set(), captures: new Map(), requestIds: new Map() };
  const ppErr = (res, status, name, message, issue) => json(res, status, { name, message, details: issue ? [{ issue }] : [], debug_id: rand(13, 'abcdef0123456789') });
  function ppOrderJson(t) {
    const pu = { reference_id: t.f.purchase_units?.[0]?.reference_id ?? 'default', amount: { currency_code: t.currency, value: minorToDecimal(t.amount_minor) } };
    for (const k of ['custom_id', 'invoice_id', 'description']) if (t.f.purchase_units?.[0]?.[k] !== undefined) pu[k] = t.f.purchase_units[0][k];
    if (t.capture) pu.payments = { captures: [t.capture] };
    return { id: t.id, intent: t.f.intent ?? 'CAPTURE', status: t.pp_status, purchase_units: [pu], create_time: new Date(t.created).toISOString(),
      payer: t.pp_status !== 'CREATED' ? { payer_id: t.payer_id, email_address: 'buyer@sandbox.paypal.test' } : undefined,
      links: [{ href: `${base}/paypal/v2/checkout/orders/${t.id}`, rel: 'self', method: 'GET' },
        { href: `${base}/paypal/checkoutnow?token=${t.id}`, rel: 'approve', method: 'GET' },
        { href: `${base}/paypal/v2/checkout/orders/${t.id}/capture`, rel: 'capture', method: 'POST' }] };
  }
  function ppWebhook(t, type, resourceType, resource, k) {
    const id = `WH-${rand(17, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`;
    const body = JSON.stringify({ id, event_version: '1.0', create_time: isoS(), resource_type: resourceType, resource_version: '2.0',
      event_type: type, summary: `${type} for ${t.currency} ${minorToDecimal(t.amount_minor)}`, resource,
      links: [{ href: `${base}/paypal/v1/notifications/webhooks-events/${id}`, rel: 'self', method: 'GET' }] });
    const tid = crypto.randomUUID(); const time = isoS();
    const sig = rsaSign(paypalMessage(tid, time, CREDS.paypal.webhook_id, body), k.tamper === 'signature' ? keys.wrong : keys.paypal);
    const headers = { 'Content-Type': 'application/json', 'PAYPAL-TRANSMISSION-ID': tid, 'PAYPAL-TRANSMISSION-TIME': time,
      'PAYPAL-TRANSMISSION-SIG': sig, 'PAYPAL-CERT-URL': `${base}/paypal/v1/notifications/certs/${CREDS.paypal.cert_name}`,
      'PAYPAL-AUTH-ALGO': 'SHA256withRSA' };
    return { gateway: 'paypal', reference: t.reference, event: type, url: `${S.notifyBase}/payments/notify/paypal`,
      make: () => ({ headers, body }), ack: (r) => r.status >= 200 && r.status < 300 };
  }
  function ppCapture(t, k) {
    const amount = minorToDecimal(t.amount_minor);
    t.pp_status = 'COMPLETED'; t.state = 'paid';
    t.capture = { id: rand(17, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), status: 'COMPLETED', amount: { currency_code: t.currency, value: amount },
      final_capture: true, create_time: isoS(), update_time: isoS() };
    for (const x of ['custom_id', 'invoice_id']) if (t.f.purchase_units?.[0]?.[x] !== undefined) t.capture[x] = t.f.purchase_units[0][x];
    paypal.captures.set(t.capture.id, t);
    const resource = { ...t.capture, supplementary_data: { related_ids: { order_id: t.id } } };
    if (k.tamper === 'amount') resource.amount = { currency_code: t.currency, value: minorToDecimal(t.amount_minor + 100) };
    return ppWebhook(t, 'PAYMENT.CAPTURE.COMPLETED', 'capture', resource, k);
  }
  function ppAction(t, action) {
    const k = takeKnobs(t.reference);
    if (action === 'approve') {
      t.pp_status = 'APPROVED'; t.payer_id = rand(13, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
      const list = [ppWebhook(t, 'CHECKOUT.ORDER.APPROVED', 'checkout-order', ppOrderJson(t), k)];
      const pi = t.f.processing_instruction;
      if (pi === 'ORDER_COMPLETE_ON_PAYMENT_APPROVAL') list.push(ppCapture(t, k));
      notifyBatch('paypal', t.reference, k, list);
      return t.return_url ? withQuery(t.return_url, { token: t.id, PayerID: t.payer_id }) : null;
    }
    t.state = action === 'decline' ? 'failed' : 'cancelled';
    return t.cancel_url ? withQuery(t.cancel_url, { token: t.id }) : null;
  }
  async function paypalApi(req, res, path, query, body) {
    let m;
    if (path === '/v1/oauth2/token' && req.method === 'POST') {
      const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const [id, secret] = basic ? Buffer.from(basic, 'base64').toString().split(':') : [];
      if (id !== CREDS.paypal.client_id || secret !== CREDS.paypal.secret)
        return json(res, 401, { error: 'invalid_client', error_description: 'Client Authentication failed' });
      if (pairsToObject(parseFormPairs(body)).grant_type !== 'client_credentials')
        return json(res, 400, { error: 'unsupported_grant_type', error_description: 'Grant Type is NULL' });
      const tok = `A21AA${rand(40)}`; paypal.tokens.add(tok);
      return json(res, 200, { scope: 'https://uri.paypal.com/services/payments/payment', access_token: tok, token_type: 'Bearer',
        app_id: 'APP-80W284485P519543T', expires_in: 32400, nonce: `${new Date().toISOString()}${rand(20)}` });
    }
    if (path.startsWith('/v1/notifications/certs/') && req.method === 'GET')
      return reply(res, 200, keys.paypalCertPem, 'application/x-pem-file');
    const tok = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!tok || !paypal.tokens.has(tok)) return json(res, 401, { error: 'invalid_token', error_description: 'Token signature verification failed' });
    // PayPal-Request-Id: the same id replays the first answer
    const rid = req.method === 'POST' ? req.headers['paypal-request-id'] : null;
    if (rid && paypal.requestIds.has(`${path}:${rid}`)) {
      const old = paypal.requestIds.get(`${path}:${rid}`);
      return json(res, old.status, old.body);
    }
    const out = { status: 0, body: '' };
    const cap = { writeHead: (s) => { out.status = s; }, end: (b) => { out.body = b.toString('utf8'); } };
    paypalRoute(req, cap, path, query, body);
    if (out.status === 0) { await sleep(S.validateTimeoutMs); res.destroy(); return; }   // status_api = timeout
    if (rid && out.status < 500) paypal.requestIds.set(`${path}:${rid}`, out);
    return json(res, out.status, out.body);
  }
  function paypalRoute(req, res, path, query, body) {
    let m;
    if (path === '/v2/checkout/orders' && req.method === 'POST') {
      const j = safeJson(body);
      const pu = j?.purchase_units?.[0];
      const amount = decimalToMinor(pu?.amount?.value);
      if (!j || !pu || amount === null || amount <= 0 || !pu.amount.currency_code)
        return ppErr(res, 400, 'INVALID_REQUEST', 'Request is not well-formed, syntactically incorrect, or violates schema.', 'INVALID_PARAMETER_VALUE');
      const ctx = j.payment_source?.paypal?.experience_context ?? j.application_context ?? {};
      const id = rand(17, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
      const t = addTxn({ gateway: 'paypal', reference: pu.reference_id ?? pu.custom_id ?? pu.invoice_id ?? id, id, amount_minor: amount,
        currency: pu.amount.currency_code, item_name: pu.description ?? pu.items?.[0]?.name ?? '', merchant: 'Souk (PayPal sandbox)',
        return_url: ctx.return_url, cancel_url: ctx.cancel_url, f: j, pp_status: 'CREATED' });
      return json(res, 201, ppOrderJson(t));
    }
    if ((m = /^\/v2\/checkout\/orders\/([^/]+)$/.exec(path)) && req.method === 'GET') {
      const t = byId.get(`paypal:${m[1]}`);
      if (!t) return ppErr(res, 404, 'RESOURCE_NOT_FOUND', 'The specified resource does not exist.', 'INVALID_RESOURCE_ID');
      if (persistentKnob(t.reference, 'status_api') === 'error') return ppErr(res, 500, 'INTERNAL_SERVER_ERROR', 'An internal server error occurred (simulated).');
      if (persistentKnob(t.reference, 'status_api') === 'timeout') { record({ kind: 'status_api', gateway: 'paypal', reference: t.reference, path, fault: 'timeout' }); return; }
      return json(res, 200, ppOrderJson(t));
    }
    if ((m = /^\/v2\/checkout\/orders\/([^/]+)\/capture$/.exec(path)) && req.method === 'POST') {
      const t = byId.get(`paypal:${m[1]}`);
      if (!t) return ppErr(res, 404, 'RESOURCE_NOT_FOUND', 'The specified resource does not exist.', 'INVALID_RESOURCE_ID');
      if (t.pp_status === 'COMPLETED') return ppErr(res, 422, 'UNPROCESSABLE_ENTITY', 'The requested action could not be performed.', 'ORDER_ALREADY_CAPTURED');
      if (t.pp_status !== 'APPROVED') return ppErr(res, 422, 'UNPROCESSABLE_ENTITY', 'The requested action could not be performed.', 'ORDER_NOT_APPROVED');
      const k = takeKnobs(t.reference);
      notifyBatch('paypal', t.reference, k, [ppCapture(t, k)]);
      return json(res, 201, ppOrderJson(t));
    }
    if ((m = /^\/v2\/payments\/captures\/([^/]+)$/.exec(path)) && req.method === 'GET') {
      const t = paypal.captures.get(m[1]);
      if (!t) return ppErr(res, 404, 'RESOURCE_NOT_FOUND', 'The specified resource does not exist.', 'INVALID_RESOURCE_ID');
      if (persistentKnob(t.reference, 'status_api') === 'error') return ppErr(res, 500, 'INTERNAL_SERVER_ERROR', 'An internal server error occurred (simulated).');
      if (persistentKnob(t.reference, 'status_api') === 'timeout') return;
      return json(res, 200, { ...t.capture, status: t.refunded_minor === t.amount_minor ? 'REFUNDED' : t.refunded_minor ? 'PARTIALLY_REFUNDED' : t.capture.status,
        supplementary_data: { related_ids: { order_id: t.id } } });
    }
    if ((m = /^\/v2\/payments\/captures\/([^/]+)\/refund$/.exec(path)) && req.method === 'POST') {
      const t = paypal.captures.get(m[1]);
      if (!t) return ppErr(res, 404, 'RESOURCE_NOT_FOUND', 'The specified resource does not exist.', 'INVALID_RESOURCE_ID');
      const j = safeJson(body || '{}') ?? {};
      const left = t.amount_minor - t.refunded_minor;
      const amount = j.amount ? decimalToMinor(j.amount.value) : left;
      if (!amount || amount > left) return ppErr(res, 422, 'UNPROCESSABLE_ENTITY', 'The requested action could not be performed.', 'REFUND_AMOUNT_EXCEEDED');
      const r = { id: rand(17, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), status: 'COMPLETED', amount: { currency_code: t.currency, value: minorToDecimal(amount) },
        invoice_id: j.invoice_id, create_time: isoS(), links: [] };
      t.refunds.push(r); t.refunded_minor += amount;
      log('refund', { gateway: 'paypal', reference: t.reference, amount });
      return json(res, 201, r);
    }
    if (path === '/v1/notifications/verify-webhook-signature' && req.method === 'POST') {
      const j = safeJson(body);
      const raw = rawJsonMember(body, 'webhook_event');
      if (!j || raw === null) return ppErr(res, 400, 'VALIDATION_ERROR', 'Invalid request - see details', 'MISSING_REQUIRED_PARAMETER');
      const ok = j.auth_algo === 'SHA256withRSA' && j.webhook_id === CREDS.paypal.webhook_id &&
        rsaVerify(paypalMessage(j.transmission_id, j.transmission_time, j.webhook_id, raw), j.transmission_sig, keys['paypal.pub']);
      record({ kind: 'validate', gateway: 'paypal', request: { body }, status: 200, answer: ok ? 'SUCCESS' : 'FAILURE' });
      return json(res, 200, { verification_status: ok ? 'SUCCESS' : 'FAILURE' });
    }
    return ppErr(res, 404, 'RESOURCE_NOT_FOUND', 'The specified resource does not exist.');
  }

  // ======================================================================
  // Alipay (§5)
  // ======================================================================
  const alipaySigned = (name, obj) => {
    const text = JSON.stringify(obj);
    return `{"${name}":${text},"sign":"${rsaSign(text, keys['alipay-platform'])}"}`;
  };
  function alipayNotice(t, status, k) {
    const total = minorToDecimal(t.amount_minor + (k.tamper === 'amount' ? 100 : 0));
    const p = { gmt_create: alipayTime(t.created), charset: 'utf-8', seller_email: 'souk-sandbox@alipay.test', subject: t.item_name,
      buyer_id: '2088102000000001', invoice_amount: total, notify_id: `${Date.now()}${digits(18)}`,
      fund_bill_list: JSON.stringify([{ amount: total, fundChannel: 'ALIPAYACCOUNT' }]), notify_type: 'trade_status_sync',
      trade_status: status, receipt_amount: total, app_id: CREDS.alipay.app_id, buyer_pay_amount: total, sign_type: 'RSA2',
      seller_id: CREDS.alipay.seller_id, gmt_payment: alipayTime(), notify_time: alipayTime(), version: '1.0',
      out_trade_no: t.reference, total_amount: total, trade_no: t.id, auth_app_id: CREDS.alipay.app_id,
      buyer_logon_id: 'buy***@sandbox.test', point_amount: '0.00' };
    if (status === 'WAIT_BUYER_PAY' || status === 'TRADE_CLOSED') { delete p.gmt_payment; delete p.fund_bill_list; delete p.receipt_amount; delete p.buyer_pay_amount; delete p.invoice_amount; }
    p.sign = rsaSign(alipaySignString(p, { withSignType: false }), k.tamper === 'signature' ? keys.wrong : keys['alipay-platform']);
    const body = Object.entries(p).map(([a, b]) => `${encodeURIComponent(a)}=${encodeURIComponent(b)}`).join('&');
    return { gateway: 'alipay', reference: t.reference, event: status, url: t.notify_url,
      make: () => ({ headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' }, body }),
      ack: (r) => r.status === 200 && r.body === 'success' };
  }
  function alAction(t, action) {
    const k = takeKnobs(t.reference);
    if (action === 'approve') {
      t.state = 'paid'; t.trade_status = 'TRADE_SUCCESS'; t.paid_at = Date.now();
      if (t.notify_url) {
        const list = []; if (k.pending) list.push(alipayNotice(t, 'WAIT_BUYER_PAY', k));
        list.push(alipayNotice(t, 'TRADE_SUCCESS', k));
        notifyBatch('alipay', t.reference, k, list);
      }
      if (!t.return_url) return null;
      const r = { charset: 'utf-8', out_trade_no: t.reference, method: 'alipay.trade.page.pay.return', total_amount: minorToDecimal(t.amount_minor),
        trade_no: t.id, auth_app_id: CREDS.alipay.app_id, version: '1.0', app_id: CREDS.alipay.app_id, sign_type: 'RSA2',
        seller_id: CREDS.alipay.seller_id, timestamp: alipayTime() };
      r.sign = rsaSign(alipaySignString(r, { withSignType: false }), keys['alipay-platform']);
      return withQuery(t.return_url, r);
    }
    if (action === 'decline') {
      t.state = 'failed'; t.trade_status = 'TRADE_CLOSED';
      if (t.notify_url) notifyBatch('alipay', t.reference, k, [alipayNotice(t, 'TRADE_CLOSED', k)]);
    } else t.state = 'cancelled';
    return t.f.biz.quit_url || t.return_url || null;
  }
  function alipayGateway(req, res, params) {
    const method = params.method ?? '';
    const respName = method.replace(/\./g, '_') + '_response';
    const apiError = (code, msg, sub, subMsg) => json(res, 200, JSON.stringify({ [respName]: { code, msg, sub_code: sub, sub_msg: subMsg } }));
    const isPage = /^alipay\.trade\.(page|wap)\.pay$/.test(method);
    const fail = (sub, subMsg) => isPage ? errorPage(res, 400, `Alipay error: ${sub}`, subMsg) : apiError('40002', 'Invalid Arguments', sub, subMsg);
    if (params.app_id !== CREDS.alipay.app_id) return fail('isv.invalid-app-id', 'Invalid app_id');
    if (params.sign_type !== 'RSA2') return fail('isv.invalid-signature-type', 'sign_type must be RSA2');
    if (!params.sign || !rsaVerify(alipaySignString(params, { withSignType: true }), params.sign, keys['alipay-merchant.pub']))
      return fail('isv.invalid-signature', 'The signature is invalid (验签出错)');
    const biz = safeJson(params.biz_content ?? '') ?? {};
    if (isPage) {
      const amount = decimalToMinor(biz.total_amount);
      if (!biz.out_trade_no || amount === null || amount <= 0 || !biz.subject) return fail('isv.missing-parameter', 'out_trade_no, total_amount and subject are required');
      const id = `${new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10).replace(/-/g, '')}22001${digits(19)}`;
      const t = addTxn({ gateway: 'alipay', reference: biz.out_trade_no, id, sid: rand(20), amount_minor: amount, currency: 'CNY',
        item_name: biz.subject, merchant: 'Souk (Alipay sandbox)', return_url: params.return_url, cancel_url: biz.quit_url,
        notify_url: params.notify_url, f: { ...params, biz }, trade_status: 'WAIT_BUYER_PAY' });
      return payPage(res, 'Alipay 支付宝', t, `/alipay/pay/${t.sid}`);
    }
    const find = () => (biz.trade_no ? byId.get(`alipay:${biz.trade_no}`) : latest('alipay', biz.out_trade_no ?? ''));
    if (method === 'alipay.trade.query') {
      const t = find();
      if (t && persistentKnob(t.reference, 'status_api')) return statusApiFault(req, res, t, () => reply(res, 500, 'Internal Server Error'));
      if (!t) return json(res, 200, alipaySigned(respName, { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.TRADE_NOT_EXIST', sub_msg: '交易不存在' }));
      return json(res, 200, alipaySigned(respName, { code: '10000', msg: 'Success', trade_no: t.id, out_trade_no: t.reference,
        buyer_logon_id: 'buy***@sandbox.test', trade_status: t.trade_status, total_amount: minorToDecimal(t.amount_minor),
        buyer_pay_amount: t.state === 'paid' ? minorToDecimal(t.amount_minor) : '0.00', send_pay_date: t.paid_at ? alipayTime(t.paid_at) : undefined }));
    }
    if (method === 'alipay.trade.refund') {
      const t = find();
      if (!t || t.state !== 'paid') return json(res, 200, alipaySigned(respName, { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.TRADE_NOT_EXIST', sub_msg: '交易不存在' }));
      const amount = decimalToMinor(biz.refund_amount);
      const reqNo = biz.out_request_no ?? t.reference;
      const done = t.refunds.find((r) => r.out_request_no === reqNo);
      if (!done) {
        if (amount === null || amount <= 0 || amount > t.amount_minor - t.refunded_minor)
          return json(res, 200, alipaySigned(respName, { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', sub_msg: '退款金额超限' }));
        t.refunds.push({ out_request_no: reqNo, amount }); t.refunded_minor += amount;
        if (t.refunded_minor === t.amount_minor) t.trade_status = 'TRADE_CLOSED';
        log('refund', { gateway: 'alipay', reference: t.reference, amount });
      }
      return json(res, 200, alipaySigned(respName, { code: '10000', msg: 'Success', trade_no: t.id, out_trade_no: t.reference,
        buyer_logon_id: 'buy***@sandbox.test', fund_change: done ? 'N' : 'Y', refund_fee: minorToDecimal(t.refunded_minor),
        gmt_refund_pay: alipayTime() }));
    }
    if (method === 'alipay.trade.close') {
      const t = find();
      if (!t) return json(res, 200, alipaySigned(respName, { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.TRADE_NOT_EXIST', sub_msg: '交易不存在' }));
      if (t.state !== 'paid') { t.state = 'cancelled'; t.trade_status = 'TRADE_CLOSED'; }
      return json(res, 200, alipaySigned(respName, { code: '10000', msg: 'Success', trade_no: t.id, out_trade_no: t.reference }));
    }
    return apiError('40004', 'Business Failed', 'isv.invalid-method', `Unknown method ${method}`);
  }

  // ======================================================================
  // WeChat Pay (§6)
  // ======================================================================
  const wechat = { refunds: new Map() };
  function wxSignedReply(res, status, obj) {
    const body = obj === null ? '' : JSON.stringify(obj);
    const ts = String(nowS()); const nonce = rand(32);
    const headers = { 'Wechatpay-Timestamp': ts, 'Wechatpay-Nonce': nonce, 'Wechatpay-Serial': CREDS.wechat.platform_serial,
      'Wechatpay-Signature': rsaSign(wechatResponseMessage(ts, nonce, body), keys['wechat-platform']),
      'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048', 'Request-ID': crypto.randomUUID() };
    if (status === 204) { res.writeHead(204, headers); res.end(); return; }
    reply(res, status, body, 'application/json; charset=utf-8', headers);
  }
  /** §6.2: the merchant's Authorization header; null when fine, else the reason. */
  function wxCheckAuth(req, fullPath, body) {
    const a = req.headers.authorization ?? '';
    const m = /^WECHATPAY2-SHA256-RSA2048 (.+)$/.exec(a);
    if (!m) return 'missing or malformed Authorization';
    const kv = {};
    for (const x of m[1].matchAll(/(\w+)="([^"]*)"/g)) kv[x[1]] = x[2];
    if (kv.mchid !== CREDS.wechat.mchid) return 'mchid mismatch';
    if (kv.serial_no !== CREDS.wechat.serial) return 'unknown serial_no';
    if (!/^\d+$/.test(kv.timestamp ?? '') || Math.abs(nowS() - Number(kv.timestamp)) > 300) return 'timestamp outside 300 s';
    const stripped = fullPath.replace(/^\/wechat/, '');
    for (const url of [stripped, fullPath]) {
      if (rsaVerify(wechatRequestMessage(req.method, url, kv.timestamp, kv.nonce_str, body), kv.signature, keys['wechat-merchant.pub'])) return null;
    }
    return 'signature does not verify';
  }
  function wxTxnJson(t, tamper) {
    const total = t.amount_minor + (tamper ? 100 : 0);
    const o = { mchid: CREDS.wechat.mchid, appid: CREDS.wechat.appid, out_trade_no: t.reference, transaction_id: t.transaction_id ?? undefined,
      trade_type: 'NATIVE', trade_state: t.trade_state, trade_state_desc: { SUCCESS: '支付成功', NOTPAY: '未支付', CLOSED: '已关闭', PAYERROR: '支付失败', REFUND: '转入退款' }[t.trade_state],
      bank_type: t.transaction_id ? 'OTHERS' : undefined, attach: t.f.attach ?? '', success_time: t.paid_at ? chinaTime(t.paid_at) : undefined,
      payer: t.transaction_id ? { openid: 'oSOUKSIM0000000000000000001' } : undefined,
      amount: { total, payer_total: t.transaction_id ? total : undefined, currency: 'CNY', payer_currency: 'CNY' } };
    return JSON.parse(JSON.stringify(o));
  }
  function wxNotice(t, k) {
    const nonce = rand(12);
    const plaintext = JSON.stringify(wxTxnJson(t, k.tamper === 'amount'));
    const body = JSON.stringify({ id: crypto.randomUUID(), create_time: chinaTime(), resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS', summary: '支付成功',
      resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM',
        ciphertext: wechatEncrypt(CREDS.wechat.apiv3_key, nonce, 'transaction', plaintext), associated_data: 'transaction', nonce } });
    const ts = String(nowS() - (Number(k.stale_s) || 0)); const hn = rand(32);
    let sig = rsaSign(wechatResponseMessage(ts, hn, body), k.tamper === 'signature' ? keys.wrong : keys['wechat-platform']);
    if (k.tamper === 'probe') sig = `WECHATPAY/SIGNTEST/${rand(64)}`;
    const headers = { 'Content-Type': 'application/json', 'Wechatpay-Timestamp': ts, 'Wechatpay-Nonce': hn, 'Wechatpay-Signature': sig,
      'Wechatpay-Serial': k.tamper === 'serial' ? 'UNKNOWNSERIAL99' : CREDS.wechat.platform_serial, 'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048' };
    if (k.tamper === 'header') delete headers['Wechatpay-Signature'];
    return { gateway: 'wechat', reference: t.reference, event: 'TRANSACTION.SUCCESS', url: t.notify_url,
      make: () => ({ headers, body }), ack: (r) => r.status === 200 || r.status === 204 };
  }
  function wxAction(t, action) {
    const k = takeKnobs(t.reference);
    if (action === 'approve') {
      t.state = 'paid'; t.trade_state = 'SUCCESS'; t.paid_at = Date.now(); t.transaction_id = `42000${digits(23)}`;
      byId.set(`wechat:${t.transaction_id}`, t);
      if (t.notify_url) notifyBatch('wechat', t.reference, k, [wxNotice(t, k)]);
    } else if (action === 'decline') { t.state = 'failed'; t.trade_state = 'PAYERROR'; }
    return null;    // Native pay: the phone has no browser redirect
  }
  function wechatApi(req, res, path, fullPath, query, body) {
    const why = wxCheckAuth(req, fullPath, body);
    if (why) { record({ kind: 'api', gateway: 'wechat', path, status: 401, answer: why }); return wxSignedReply(res, 401, { code: 'SIGN_ERROR', message: `签名错误: ${why}` }); }
    let m;
    if (path === '/v3/pay/transactions/native' && req.method === 'POST') {
      const j = safeJson(body);
      if (!j || j.mchid !== CREDS.wechat.mchid || j.appid !== CREDS.wechat.appid || !j.out_trade_no || !Number.isInteger(j.amount?.total) || j.amount.total <= 0 || !j.notify_url)
        return wxSignedReply(res, 400, { code: 'PARAM_ERROR', message: '参数错误: appid, mchid, out_trade_no, amount.total, notify_url' });
      const old = latest('wechat', j.out_trade_no);
      if (old && old.trade_state === 'SUCCESS') return wxSignedReply(res, 400, { code: 'ORDERPAID', message: '该订单已支付' });
      const id = rand(24);
      const t = addTxn({ gateway: 'wechat', reference: j.out_trade_no, id, sid: id, amount_minor: j.amount.total, currency: j.amount.currency ?? 'CNY',
        item_name: j.description ?? '', merchant: 'Souk (WeChat Pay sandbox)', notify_url: j.notify_url, f: j, trade_state: 'NOTPAY' });
      return wxSignedReply(res, 200, { code_url: `weixin://wxpay/bizpayurl?pr=${t.id}` });
    }
    if ((m = /^\/v3\/pay\/transactions\/(out-trade-no|id)\/([^/]+)$/.exec(path)) && req.method === 'GET') {
      const t = m[1] === 'id' ? byId.get(`wechat:${m[2]}`) : latest('wechat', decodeURIComponent(m[2]));
      if (t && persistentKnob(t.reference, 'status_api')) return statusApiFault(req, res, t, () => wxSignedReply(res, 500, { code: 'SYSTEM_ERROR', message: '系统错误 (simulated)' }));
      if (!t) return wxSignedReply(res, 404, { code: 'ORDER_NOT_EXIST', message: '订单不存在' });
      return wxSignedReply(res, 200, wxTxnJson(t, false));
    }
    if ((m = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/.exec(path)) && req.method === 'POST') {
      const t = latest('wechat', decodeURIComponent(m[1]));
      if (!t) return wxSignedReply(res, 404, { code: 'ORDER_NOT_EXIST', message: '订单不存在' });
      if (t.trade_state === 'SUCCESS') return wxSignedReply(res, 400, { code: 'ORDERPAID', message: '该订单已支付' });
      t.trade_state = 'CLOSED'; t.state = 'cancelled';
      return wxSignedReply(res, 204, null);
    }
    if (path === '/v3/refund/domestic/refunds' && req.method === 'POST') {
      const j = safeJson(body);
      const t = j?.transaction_id ? byId.get(`wechat:${j.transaction_id}`) : latest('wechat', j?.out_trade_no ?? '');
      if (!j || !j.out_refund_no || !Number.isInteger(j.amount?.refund) || !Number.isInteger(j.amount?.total))
        return wxSignedReply(res, 400, { code: 'PARAM_ERROR', message: '参数错误: out_refund_no, amount.refund, amount.total' });
      if (!t || !t.transaction_id) return wxSignedReply(res, 404, { code: 'RESOURCE_NOT_EXISTS', message: '订单不存在' });
      const old = wechat.refunds.get(j.out_refund_no);
      if (old) return wxSignedReply(res, 200, old);      // out_refund_no is the idempotency key
      if (j.amount.total !== t.amount_minor) return wxSignedReply(res, 400, { code: 'PARAM_ERROR', message: '订单金额与退款金额不一致' });
      if (j.amount.refund <= 0 || j.amount.refund > t.amount_minor - t.refunded_minor) return wxSignedReply(res, 403, { code: 'NOT_ENOUGH', message: '退款金额超限' });
      const r = { refund_id: `50000${digits(24)}`, out_refund_no: j.out_refund_no, transaction_id: t.transaction_id, out_trade_no: t.reference,
        channel: 'ORIGINAL', user_received_account: '支付用户零钱', success_time: chinaTime(), create_time: chinaTime(), status: 'SUCCESS', funds_account: 'AVAILABLE',
        amount: { total: t.amount_minor, refund: j.amount.refund, payer_total: t.amount_minor, payer_refund: j.amount.refund,
          settlement_refund: j.amount.refund, settlement_total: t.amount_minor, discount_refund: 0, currency: 'CNY' } };
      wechat.refunds.set(r.out_refund_no, r); t.refunds.push(r); t.refunded_minor += j.amount.refund;
      if (t.refunded_minor === t.amount_minor) t.trade_state = 'REFUND';
      log('refund', { gateway: 'wechat', reference: t.reference, amount: j.amount.refund });
      return wxSignedReply(res, 200, r);
    }
    if ((m = /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/.exec(path)) && req.method === 'GET') {
      const r = wechat.refunds.get(decodeURIComponent(m[1]));
      return r ? wxSignedReply(res, 200, r) : wxSignedReply(res, 404, { code: 'RESOURCE_NOT_EXISTS', message: '退款单不存在' });
    }
    return wxSignedReply(res, 404, { code: 'NOT_FOUND', message: 'no such API' });
  }

  // ======================================================================
  // hosted-page actions shared by the pages and POST /_pay
  // ======================================================================
  const ACTIONS = { payfast: pfAction, ozow: ozAction, paypal: ppAction, alipay: alAction, wechat: wxAction };
  function doAction(t, action, extra = {}) {
    if (!['approve', 'decline', 'cancel'].includes(action)) return { error: 'action must be approve, decline or cancel', status: 400 };
    if (t.state !== 'created') return { error: `this payment is already ${t.state}`, status: 409 };
    const url = t.gateway === 'stripe'
      ? stAction(t, action, extra.return_url ?? t.return_url, extra.cancel_url ?? t.cancel_url)
      : ACTIONS[t.gateway](t, action);
    record({ kind: 'action', gateway: t.gateway, reference: t.reference, action, state: t.state, redirect: url });
    log('action', { gateway: t.gateway, reference: t.reference, action, state: t.state });
    return { redirect: url };
  }
  function pageAction(res, t, action, extra) {
    if (!t) return errorPage(res, 404, 'Unknown payment', 'This payment session does not exist (the simulator may have restarted).');
    const r = doAction(t, action, extra);
    if (r.error) return errorPage(res, r.status, 'Cannot do that', r.error);
    if (r.redirect) return redirect(res, r.redirect);
    return donePage(res, t, t.state === 'paid' ? 'Payment complete. You can go back to the shop.' : t.state === 'failed' ? 'Payment declined.' : 'Payment cancelled.');
  }
  function txnView(t) {
    const { f, ...rest } = t;
    return { ...rest, fields: f };
  }

  // ======================================================================
  // router
  // ======================================================================
  async function handle(req, res) {
    const u = new URL(req.url, 'http://x');
    const path = u.pathname; const query = Object.fromEntries(u.searchParams);
    const chunks = []; let size = 0;
    for await (const c of req) { size += c.length; if (size > 1 << 20) { reply(res, 413, 'too large'); return; } chunks.push(c); }
    const body = Buffer.concat(chunks).toString('utf8');
    const form = () => pairsToObject([...u.searchParams.entries(), ...(req.method === 'POST' ? parseFormPairs(body) : [])]);
    let m;

    if (path === '/healthz') return reply(res, 200, 'ok\n');
    // -- control --
    if (path === '/_control' && req.method === 'POST') {
      const j = safeJson(body || '{}');
      if (!j || typeof j !== 'object') return json(res, 400, { error: 'JSON object expected' });
      if (j.reset) knobs.clear();
      if (j.retry) {
        if (j.retry.base_ms !== undefined) S.retryBaseMs = Number(j.retry.base_ms);
        if (j.retry.cap_ms !== undefined) S.retryCapMs = Number(j.retry.cap_ms);
        if (j.retry.max_attempts !== undefined) S.retryMax = Number(j.retry.max_attempts);
      }
      if (j.lag_ms !== undefined) S.lagMs = Number(j.lag_ms);
      if (Array.isArray(j.stripe_webhook_secrets)) S.stripeSecrets = j.stripe_webhook_secrets.map(String);
      if (j.reference !== undefined) {
        const ref = String(j.reference);
        const k = knobs.get(ref) ?? {};
        for (const name of [...ONE_SHOT, 'validate', 'status_api', 'start', 'transfers', 'count']) {
          if (!(name in j)) continue;
          if (j[name] === null || j[name] === false) delete k[name]; else k[name] = j[name];
        }
        if (ONE_SHOT.some((x) => k[x] !== undefined) && k.count === undefined) k.count = 1;
        knobs.set(ref, k);
      }
      log('control', { body: body.slice(0, 300) });
      return json(res, 200, { ok: true, knobs: Object.fromEntries(knobs), settings: { retry_base_ms: S.retryBaseMs, retry_cap_ms: S.retryCapMs,
        retry_max: S.retryMax, lag_ms: S.lagMs, stripe_webhook_secrets: S.stripeSecrets.length } });
    }
    if (path === '/_log' && req.method === 'GET') {
      const since = Number(query.since) || 0;
      return json(res, 200, events.filter((e) => e.seq > since && (!query.gateway || e.gateway === query.gateway) &&
        (!query.reference || e.reference === query.reference) && (!query.kind || e.kind === query.kind)));
    }
    if ((m = /^\/_pay\/(payfast|ozow|stripe|paypal|alipay|wechat)\/(.+)$/.exec(path)) && req.method === 'POST') {
      const t = findTxn(m[1], decodeURIComponent(m[2]));
      if (!t) return json(res, 404, { error: `no ${m[1]} payment with reference or id ${m[2]} (has the hosted page / API been called?)` });
      const j = safeJson(body || '{}') ?? {};
      const r = doAction(t, j.action, j);
      if (r.error) return json(res, r.status, { error: r.error, state: t.state });
      return json(res, 200, { ok: true, gateway: t.gateway, reference: t.reference, id: t.id, state: t.state, redirect: r.redirect });
    }
    if ((m = /^\/_txn\/(payfast|ozow|stripe|paypal|alipay|wechat)\/(.+)$/.exec(path)) && req.method === 'GET') {
      const t = findTxn(m[1], decodeURIComponent(m[2]));
      return t ? json(res, 200, txnView(t)) : json(res, 404, { error: 'unknown payment' });
    }

    // -- PayFast --
    if (path === '/payfast/eng/process' && (req.method === 'POST' || req.method === 'GET')) return pfProcess(req, res, form());
    if ((m = /^\/payfast\/eng\/process\/([A-Za-z0-9]+)$/.exec(path)) && req.method === 'POST')
      return pageAction(res, byId.get(`payfast:${m[1]}`), form().action);
    if (path === '/payfast/eng/query/validate' && req.method === 'POST') return pfValidate(req, res, body);
    if (path.startsWith('/payfast/api/') || path === '/payfast/api') return pfApi(req, res, path.slice('/payfast/api'.length) || '/', query, body);

    // -- Ozow --
    if ((path === '/ozow/' || path === '/ozow') && (req.method === 'POST' || req.method === 'GET')) return ozProcess(req, res, form());
    if ((m = /^\/ozow\/([0-9a-f-]{36})\/Secure$/.exec(path)) && req.method === 'GET') {
      const f = pendingOzow.get(m[1]);
      return f ? ozProcess(req, res, f) : errorPage(res, 404, 'Unknown payment request', 'No such payment request.');
    }
    if ((m = /^\/ozow\/pay\/([0-9a-f-]{36})$/.exec(path)) && req.method === 'POST') return pageAction(res, byId.get(`ozow:${m[1]}`), form().action);
    if (path.startsWith('/ozow/api/')) return ozApi(req, res, path.slice('/ozow/api'.length), query, body);

    // -- Stripe --
    if (path === '/stripe/pay' && req.method === 'GET') {
      const t = byId.get(`stripe:${query.payment_intent ?? ''}`);
      if (!t || query.client_secret !== t.client_secret) return errorPage(res, 400, 'Invalid payment link', 'payment_intent and client_secret do not match.');
      if (t.pi_status !== 'requires_payment_method' && t.pi_status !== 'requires_confirmation')
        return errorPage(res, 409, 'Payment already handled', `This PaymentIntent is ${t.pi_status}.`);
      if (t.state !== 'created') t.state = 'created';   // a declined card may try again
      t.return_url = query.return_url; t.cancel_url = query.cancel_url;
      return payPage(res, 'Stripe (test mode)', t, `/stripe/pay/${t.id}`, { client_secret: t.client_secret, return_url: query.return_url ?? '', cancel_url: query.cancel_url ?? '' });
    }
    if ((m = /^\/stripe\/pay\/(pi_[A-Za-z0-9]+)$/.exec(path)) && req.method === 'POST') {
      const f = form(); const t = byId.get(`stripe:${m[1]}`);
      if (t && f.client_secret !== t.client_secret) return errorPage(res, 400, 'Invalid payment link', 'client_secret does not match.');
      return pageAction(res, t, f.action, { return_url: f.return_url || t?.return_url, cancel_url: f.cancel_url || t?.cancel_url });
    }
    if (path.startsWith('/stripe/v1/')) return stripeApi(req, res, path.slice('/stripe'.length), query, body);

    // -- PayPal --
    if (path === '/paypal/checkoutnow' && req.method === 'GET') {
      const t = byId.get(`paypal:${query.token ?? ''}`);
      if (!t) return errorPage(res, 404, 'Unknown order', 'No PayPal order with this token.');
      if (t.state !== 'created') return errorPage(res, 409, 'Order already handled', `This order is ${t.pp_status}.`);
      return payPage(res, 'PayPal (sandbox)', t, `/paypal/checkoutnow/${t.id}`);
    }
    if ((m = /^\/paypal\/checkoutnow\/([A-Z0-9]+)$/.exec(path)) && req.method === 'POST') return pageAction(res, byId.get(`paypal:${m[1]}`), form().action);
    if (path.startsWith('/paypal/v1/') || path.startsWith('/paypal/v2/')) return paypalApi(req, res, path.slice('/paypal'.length), query, body);

    // -- Alipay --
    if (path === '/alipay/gateway.do' && (req.method === 'GET' || req.method === 'POST')) return alipayGateway(req, res, form());
    if ((m = /^\/alipay\/pay\/([A-Za-z0-9]+)$/.exec(path)) && req.method === 'POST') return pageAction(res, byId.get(`alipay:${m[1]}`), form().action);

    // -- WeChat --
    if (path === '/wechat/scan' && req.method === 'GET') {
      const pr = /[?&]pr=([A-Za-z0-9]+)/.exec(query.code_url ?? '')?.[1];
      return pr ? redirect(res, `/wechat/pay/${pr}`) : errorPage(res, 400, 'Not a WeChat Pay code', 'code_url=weixin://wxpay/bizpayurl?pr=... expected.');
    }
    if ((m = /^\/wechat\/pay\/([A-Za-z0-9]+)$/.exec(path))) {
      const t = byId.get(`wechat:${m[1]}`);
      if (req.method === 'POST') return pageAction(res, t, form().action);
      if (!t) return errorPage(res, 404, 'Unknown QR code', 'This code_url is not known.');
      if (t.state !== 'created') return donePage(res, t, `This payment is ${t.trade_state}.`);
      return payPage(res, 'WeChat Pay 微信支付 (your phone)', t, `/wechat/pay/${t.id}`);
    }
    if (path.startsWith('/wechat/v3/')) {
      const q = u.search;
      return wechatApi(req, res, path.slice('/wechat'.length), path + q, query, body);
    }
    return reply(res, 404, 'souk-paysim: no such endpoint\n');
  }

  const server = http.createServer((req, res) => {
    const t0 = Date.now();
    res.on('close', () => {
      if (req.url.startsWith('/_') || req.url === '/healthz') return;
      const gw = /^\/(payfast|ozow|stripe|paypal|alipay|wechat)\//.exec(req.url)?.[1] ?? '';
      const path = req.url.split('?')[0];
      if (!/\/(eng\/process|ozow\/?$|pay\/|checkoutnow|gateway\.do|scan)/.test(path) && gw) record({ kind: 'api', gateway: gw, method: req.method, path, status: res.statusCode });
      log('request', { method: req.method, path, status: res.writableFinished ? res.statusCode : 'aborted', ms: Date.now() - t0, from: req.socket.remoteAddress ?? '' });
    });
    handle(req, res).catch((e) => {
      log('error', { url: req.url, error: e.stack ?? e.message });
      if (!res.headersSent) reply(res, 500, 'souk-paysim internal error\n'); else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;

  return {
    server, settings: S, keys, events,
    get url() { return base; },
    listen() {
      return new Promise((resolve_, reject) => {
        server.once('error', reject);
        server.listen(S.port, S.host, () => {
          base = `http://${S.host}:${server.address().port}`;
          log('listening', { addr: `${S.host}:${server.address().port}`, url: base, notify_base: S.notifyBase, keys: S.keysDir });
          resolve_(base);
        });
      });
    },
    close() { return new Promise((r) => { server.close(() => r()); server.closeAllConnections?.(); }); },
  };
}

function safeJson(s) { try { return JSON.parse(s); } catch { return null; } }

// ---------------------------------------------------------------------------
// command line
// ---------------------------------------------------------------------------
function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i > 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : fallback;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.title = 'souk-paysim';
  const host = arg('host', '127.0.0.1');
  if (!/^127\.\d+\.\d+\.\d+$/.test(host)) { console.error('souk-paysim: --host must be a loopback address (127.x.x.x)'); process.exit(2); }
  const keysDir = arg('keys', process.env.SOUK_PAYSIM_KEYS || 'var/paysim-keys');
  if (process.argv.includes('--init-keys')) { ensureKeys(resolve(keysDir)); process.exit(0); }
  const num = (n, d) => { const v = arg(n, undefined); return v === undefined ? d : Number(v); };
  const sim = createPaysim({
    host, port: num('port', Number(process.env.SOUK_PAYSIM_PORT || 18090)),
    notifyBase: arg('notify-base', process.env.SOUK_PAYSIM_NOTIFY_BASE || 'http://127.0.0.1:8080'),
    keysDir, logFile: arg('log', null), lagMs: num('lag-ms', 200),
    retryBaseMs: num('retry-base-ms', 1000), retryCapMs: num('retry-cap-ms', 8000), retryMax: num('retry-max', 8),
    validateTimeoutMs: num('validate-timeout-ms', 30000),
    stripeSecrets: arg('stripe-secrets', CREDS.stripe.webhook_secret).split(',').filter(Boolean),
  });
  sim.listen().catch((e) => { console.error(`souk-paysim: ${e.message}`); process.exit(1); });
  const stop = (sig) => {
    process.stdout.write(`ts=${new Date().toISOString()} prog=souk-paysim pid=${process.pid} msg="stopping" signal="${sig}"\n`);
    sim.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 1500).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
