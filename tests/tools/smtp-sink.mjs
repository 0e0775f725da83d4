#!/usr/bin/env node
// smtp-sink - a tiny SMTP server that keeps every mail it receives as a JSON
// file, standing in for a real relay in ./dev up and ./dev test.
//
//   node tests/tools/smtp-sink.mjs [--port N] [--host H] [--dir DIR]
//
// Defaults: port $SOUK_SMTP_SINK_PORT or 2525, host 127.0.0.1, dir
// $SOUK_MAIL_DIR or ./var/mail. Each accepted message becomes
// DIR/NNNNNN-<UTC timestamp>.json (names sort by arrival, also across
// restarts) holding
//   {from, to: [envelope recipients], subject, text, html, date,
//    messageId, envelopeFrom, headers: {lower-case name: value}, size}
// plus the raw message next to it as .eml. Files appear atomically (written
// under a dot name, then renamed), so a reader never sees half a mail.
//
// No TLS (STARTTLS is not offered), AUTH accepted but not required. To test
// failures, recipients at two reserved domains are refused:
//   anything@tempfail.invalid  → 451 4.3.0 (temporary: the sender retries)
//   anything@reject.invalid    → 550 5.1.1 (permanent: no such mailbox)
// SIGTERM/SIGINT close the server and exit 0.
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

process.title = 'souk-smtp-sink';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i > 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : fallback;
}

const port = Number(arg('port', process.argv[2] && /^\d+$/.test(process.argv[2]) ? process.argv[2] :
  process.env.SOUK_SMTP_SINK_PORT || 2525));
const host = arg('host', '127.0.0.1');
const dir = resolve(arg('dir', process.env.SOUK_MAIL_DIR || 'var/mail'));
const MAX_SIZE = 10 * 1024 * 1024;

function log(msg, fields = {}) {
  const kv = Object.entries(fields)
    .map(([k, v]) => `${k}="${String(v).replace(/["\\\r\n]/g, '?').slice(0, 200)}"`).join(' ');
  process.stdout.write(`ts=${new Date().toISOString()} prog=smtp-sink pid=${process.pid} msg="${msg}"${kv ? ' ' + kv : ''}\n`);
}

mkdirSync(dir, { recursive: true });
// Continue numbering after what the folder already holds.
let counter = 0;
for (const f of readdirSync(dir)) {
  const m = /^(\d+)-/.exec(f);
  if (m) counter = Math.max(counter, Number(m[1]));
}

function stamp(d) {
  return d.toISOString().replace(/[-:]/g, '').replace('.', '');  // 20250304T100000123Z
}

function addressText(a) {
  if (!a) return null;
  return a.text ?? (Array.isArray(a) ? a.map((x) => x.text).join(', ') : null);
}

async function store(raw, session) {
  const mail = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
  const headers = {};
  for (const [k, v] of mail.headers) {
    headers[k] = typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : (v?.text ?? v?.value ?? JSON.stringify(v));
  }
  const now = new Date();
  const base = `${String(++counter).padStart(6, '0')}-${stamp(now)}`;
  const doc = {
    from: addressText(mail.from),
    to: session.envelope.rcptTo.map((r) => r.address),
    subject: mail.subject ?? '',
    text: mail.text ?? '',
    html: mail.html || '',
    date: (mail.date ?? now).toISOString(),
    receivedAt: now.toISOString(),
    messageId: mail.messageId ?? null,
    envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
    headerTo: addressText(mail.to),
    headers,
    size: raw.length,
  };
  writeFileSync(join(dir, `.${base}.eml`), raw);
  renameSync(join(dir, `.${base}.eml`), join(dir, `${base}.eml`));
  writeFileSync(join(dir, `.${base}.json`), JSON.stringify(doc, null, 2) + '\n');
  renameSync(join(dir, `.${base}.json`), join(dir, `${base}.json`));
  log('stored', { file: `${base}.json`, to: doc.to.join(','), subject: doc.subject });
}

const server = new SMTPServer({
  name: 'smtp-sink.souk.invalid',
  banner: 'Souk test SMTP sink',
  secure: false,
  disabledCommands: ['STARTTLS'],
  hideSTARTTLS: true,
  authOptional: true,
  allowInsecureAuth: true,
  size: MAX_SIZE,
  logger: false,
  disableReverseLookup: true,
  onAuth(auth, session, cb) {
    cb(null, { user: auth.username || 'anonymous' });
  },
  onRcptTo(address, session, cb) {
    const domain = address.address.split('@').pop().toLowerCase();
    if (domain === 'tempfail.invalid') {
      const err = new Error('4.3.0 Temporary failure (smtp-sink: tempfail.invalid)');
      err.responseCode = 451;
      return cb(err);
    }
    if (domain === 'reject.invalid') {
      const err = new Error('5.1.1 No such mailbox (smtp-sink: reject.invalid)');
      err.responseCode = 550;
      return cb(err);
    }
    cb();
  },
  onData(stream, session, cb) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('error', cb);
    stream.on('end', () => {
      if (stream.sizeExceeded) {
        const err = new Error('5.3.4 Message too big');
        err.responseCode = 552;
        return cb(err);
      }
      store(Buffer.concat(chunks), session).then(() => cb(), (e) => {
        log('cannot store mail', { error: e.message });
        const err = new Error('4.3.0 Cannot store the message');
        err.responseCode = 451;
        cb(err);
      });
    });
  },
});

server.on('error', (e) => {
  log('error', { error: e.message });
  if (!server.server.listening) process.exit(1);  // port taken, ...
});
server.listen(port, host, () => log('listening', { addr: `${host}:${port}`, dir }));

function stop(sig) {
  log('stopping', { signal: sig });
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
