#!/usr/bin/env node
// po/extract.mjs - collect Souk's user interface texts into po/souk.pot and
// merge them into the translations (po/*.po).  Node, no dependencies; the
// merge uses msgmerge from GNU gettext (Debian package "gettext").
//
//   node po/extract.mjs            write po/souk.pot, then msgmerge every po/*.po
//   node po/extract.mjs --check    change nothing; exit 1 when po/souk.pot is
//                                  out of date or a .po has untranslated or
//                                  fuzzy entries (prints what is missing)
//   node po/extract.mjs --no-merge write po/souk.pot only
//
// What counts as a text (the msgid is the exact English text, byte for byte):
//  * templates/**/*.mustache: the raw body of every {{#t}}…{{/t}} section,
//    exactly as src/tmpl hands it to the `t` lambda — {{var}} placeholders
//    and HTML entities verbatim, nothing unescaped; when the opening or the
//    closing tag stands alone on its line, that line is not part of the
//    body (Mustache's standalone rule).
//  * src/**/*.{c,h}: string literals inside N_( … ) (src/i18n/i18n.h), with
//    adjacent literals joined and C escapes decoded, as the compiler does.
//    Comments and other string literals are skipped.
// Each msgid gets "#: file:line" references; msgids with {{…}} get a note
// for translators that the tags must stay.
//
// Same English word, different meanings ("From" a price, "From" a country):
// start the section with a Mustache comment, which renders as nothing in
// English and makes a separate msgid:
//   {{#t}}{{! price }}From{{/t}}   {{#t}}{{! country }}From{{/t}}
// The comment is shown to translators as "#. context: price"; translations
// may drop it.
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function walk(dir, test, out = []) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, test, out);
    else if (test(e.name)) out.push(p);
  }
  return out;
}

function lineOf(s, at) {
  let n = 1;
  for (let i = s.indexOf('\n'); i !== -1 && i < at; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

// [start, end) of the line holding `at` when only blanks surround the tag
// [at, tend) on it, i.e. the tag is standalone; null otherwise.
function standalone(s, at, tend) {
  const ls = s.lastIndexOf('\n', at - 1) + 1;
  if (!/^[ \t]*$/.test(s.slice(ls, at))) return null;
  let e = tend;
  while (s[e] === ' ' || s[e] === '\t') e++;
  if (e === s.length) return [ls, e];
  if (s[e] === '\n') return [ls, e + 1];
  if (s[e] === '\r' && s[e + 1] === '\n') return [ls, e + 2];
  return null;
}

/** The {{#t}} texts of one template source: [{msgid, line}]. */
export function templateMessages(src, file = '(template)', warn = console.warn) {
  const out = [];
  const open = /\{\{#\s*t\s*\}\}/g;
  const close = /\{\{\/\s*t\s*\}\}/g;
  if (/\{\{=/.test(src)) warn(`${file}: changes delimiters; {{#t}} sections after that are not seen`);
  let m;
  while ((m = open.exec(src)) !== null) {
    const at = m.index;
    const tend = at + m[0].length;
    close.lastIndex = tend;
    const c = close.exec(src);
    if (!c) {
      warn(`${file}:${lineOf(src, at)}: {{#t}} without {{/t}}`);
      break;
    }
    const sa = standalone(src, at, tend);
    const ca = standalone(src, c.index, c.index + c[0].length);
    const start = sa ? sa[1] : tend;
    const end = ca ? ca[0] : c.index;
    const body = end > start ? src.slice(start, end) : '';
    if (/\{\{#\s*t\s*\}\}/.test(body)) warn(`${file}:${lineOf(src, at)}: nested {{#t}}`);
    if (body !== '') out.push({ msgid: body, line: lineOf(src, at) });
    open.lastIndex = c.index + c[0].length;
  }
  return out;
}

const SIMPLE_ESC = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, '"': 34, "'": 39, '?': 63 };

// Decode the body of a C string literal (bytes as a latin1 string) into bytes.
function cUnescape(body, bytes) {
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch !== '\\') { bytes.push(body.charCodeAt(i) & 0xff); continue; }
    const e = body[++i];
    if (e in SIMPLE_ESC) bytes.push(SIMPLE_ESC[e]);
    else if (e >= '0' && e <= '7') {
      let j = i, v = 0;
      while (j < i + 3 && body[j] >= '0' && body[j] <= '7') v = v * 8 + Number(body[j++]);
      bytes.push(v & 0xff); i = j - 1;
    } else if (e === 'x') {
      let j = i + 1, v = 0;
      while (/[0-9a-fA-F]/.test(body[j] ?? '')) v = v * 16 + parseInt(body[j++], 16);
      bytes.push(v & 0xff); i = j - 1;
    } else bytes.push(body.charCodeAt(i) & 0xff);
  }
}

/** The N_("…") texts of one C source (read as latin1): [{msgid, line}]. */
export function cMessages(src) {
  const out = [];
  const n = src.length;
  let i = 0;
  // skip blanks and comments from j; returns the new index
  const skip = (j) => {
    for (;;) {
      while (j < n && /\s/.test(src[j])) j++;
      if (src.startsWith('/*', j)) { const e = src.indexOf('*/', j + 2); j = e === -1 ? n : e + 2; continue; }
      if (src.startsWith('//', j)) { const e = src.indexOf('\n', j); j = e === -1 ? n : e; continue; }
      return j;
    }
  };
  // a quoted literal at j ("…" or '…'): returns its end index (after the quote)
  const literal = (j) => {
    const q = src[j];
    for (j++; j < n && src[j] !== q; j++) if (src[j] === '\\') j++;
    return j + 1;
  };
  while (i < n) {
    const ch = src[i];
    if (src.startsWith('/*', i) || src.startsWith('//', i)) { i = skip(i); continue; }
    if (ch === '"' || ch === "'") { i = literal(i); continue; }
    if (/[A-Za-z_]/.test(ch)) {
      let j = i;
      while (j < n && /[A-Za-z0-9_]/.test(src[j])) j++;
      const ident = src.slice(i, j);
      const at = i;
      i = j;
      if (ident !== 'N_') continue;
      j = skip(j);
      if (src[j] !== '(') continue;
      j = skip(j + 1);
      const bytes = [];
      let any = false;
      while (src[j] === '"') {
        const e = literal(j);
        cUnescape(src.slice(j + 1, e - 1), bytes);
        any = true;
        j = skip(e);
      }
      if (any && src[j] === ')') {
        out.push({ msgid: Buffer.from(bytes).toString('utf8'), line: lineOf(src, at) });
        i = j + 1;
      }
      continue;
    }
    i++;
  }
  return out;
}

/** Every msgid of the tree at `root`, in order of first appearance: [{msgid, refs: [..]}]. */
export function extract(root = ROOT, warn = console.warn) {
  const map = new Map();
  const add = (msgid, ref) => {
    if (!map.has(msgid)) map.set(msgid, { msgid, refs: [] });
    const e = map.get(msgid);
    if (!e.refs.includes(ref)) e.refs.push(ref);
  };
  for (const f of walk(join(root, 'templates'), (name) => name.endsWith('.mustache'))) {
    const rel = relative(root, f);
    for (const m of templateMessages(readFileSync(f, 'utf8'), rel, warn)) add(m.msgid, `${rel}:${m.line}`);
  }
  for (const f of walk(join(root, 'src'), (name) => /\.[ch]$/.test(name))) {
    const rel = relative(root, f);
    for (const m of cMessages(readFileSync(f, 'latin1'))) add(m.msgid, `${rel}:${m.line}`);
  }
  return [...map.values()];
}

function poQuote(s) {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\t/g, '\\t')
    .replace(/\r/g, '\\r').replace(/\n/g, '\\n') + '"';
}

// A PO keyword line: one line, or "" followed by one line per \n-ended piece.
function poString(keyword, s) {
  const pieces = s.match(/[^\n]*\n|[^\n]+$/g) || [''];
  if (pieces.length === 1) return `${keyword} ${poQuote(s)}\n`;
  return `${keyword} ""\n` + pieces.map((p) => poQuote(p) + '\n').join('');
}

/** The text of po/souk.pot for `entries` (deterministic: no dates). */
export function potText(entries) {
  let out = '# Souk user interface texts (English msgids).\n' +
    '# Generated by po/extract.mjs from templates/**/*.mustache ({{#t}}…{{/t}})\n' +
    '# and src/**/*.[ch] (N_("…")); do not edit by hand.\n' +
    'msgid ""\n' +
    'msgstr ""\n' +
    '"Project-Id-Version: souk\\n"\n' +
    '"Report-Msgid-Bugs-To: \\n"\n' +
    '"Language: \\n"\n' +
    '"MIME-Version: 1.0\\n"\n' +
    '"Content-Type: text/plain; charset=UTF-8\\n"\n' +
    '"Content-Transfer-Encoding: 8bit\\n"\n';
  for (const e of entries) {
    out += '\n';
    const ctx = e.msgid.match(/^\{\{!\s*([^}]*?)\s*\}\}/);
    if (ctx) out += `#. context: ${ctx[1]}\n`;
    if (/\{\{(?!!)/.test(e.msgid)) out += '#. {{…}} are template tags: keep them unchanged in the translation.\n';
    out += `#: ${e.refs.join(' ')}\n`;
    out += poString('msgid', e.msgid);
    out += 'msgstr ""\n';
  }
  return out;
}

function poUnquote(q) {
  return q.slice(1, -1).replace(/\\(["\\ntr]|[0-7]{1,3})/g, (_, c) =>
    ({ n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' }[c] ?? String.fromCharCode(parseInt(c, 8))));
}

/** Parse a .po file: [{msgid, msgstr, fuzzy, obsolete, refs}] (the header included, msgid ""). */
export function parsePo(text) {
  const entries = [];
  let cur = null, field = null;
  const flush = () => { if (cur && cur.msgid !== undefined) entries.push(cur); cur = null; field = null; };
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '') { flush(); continue; }
    if (!cur) cur = { fuzzy: false, obsolete: false, refs: [], msgstr: '' };
    let l = line;
    if (l.startsWith('#~')) { cur.obsolete = true; l = l.replace(/^#~\s?/, ''); if (l.startsWith('#')) continue; }
    if (l.startsWith('#,')) { if (/\bfuzzy\b/.test(l)) cur.fuzzy = true; continue; }
    if (l.startsWith('#:')) { cur.refs.push(...l.slice(2).trim().split(/\s+/)); continue; }
    if (l.startsWith('#')) continue;
    let m;
    if ((m = l.match(/^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+(".*")$/))) {
      field = m[1].startsWith('msgstr') ? 'msgstr' : m[1];
      if (field === 'msgstr' && m[1] !== 'msgstr' && m[1] !== 'msgstr[0]') { field = 'ignore'; continue; }
      cur[field] = poUnquote(m[2]);
    } else if (/^".*"$/.test(l) && field && field !== 'ignore') {
      cur[field] += poUnquote(l);
    }
  }
  flush();
  return entries;
}

/** What a .po lacks against the msgids: {untranslated: [..], fuzzy: [..]}. */
export function coverage(poText, msgids) {
  const po = new Map(parsePo(poText).filter((e) => !e.obsolete && e.msgctxt === undefined).map((e) => [e.msgid, e]));
  const untranslated = [], fuzzy = [];
  for (const id of msgids) {
    const e = po.get(id);
    if (!e || e.msgstr === '') untranslated.push(id);
    else if (e.fuzzy) fuzzy.push(id);
  }
  return { untranslated, fuzzy };
}

function main(argv) {
  const check = argv.includes('--check');
  const merge = !argv.includes('--no-merge') && !check;
  const entries = extract(ROOT);
  const pot = potText(entries);
  const potPath = join(ROOT, 'po', 'souk.pot');
  const pos = walk(join(ROOT, 'po'), (name) => name.endsWith('.po'));
  let ok = true;

  if (check) {
    const old = existsSync(potPath) ? readFileSync(potPath, 'utf8') : '';
    if (old !== pot) {
      const before = new Set(parsePo(old).map((e) => e.msgid));
      const now = entries.map((e) => e.msgid);
      const added = now.filter((id) => !before.has(id));
      const gone = [...before].filter((id) => id !== '' && !now.includes(id));
      console.log(`po/souk.pot is out of date (run: node po/extract.mjs): ${added.length} new, ${gone.length} gone` +
        added.map((s) => `\n  + ${JSON.stringify(s)}`).join('') + gone.map((s) => `\n  - ${JSON.stringify(s)}`).join(''));
      ok = false;
    }
  } else {
    writeFileSync(potPath, pot);
    console.log(`po/souk.pot: ${entries.length} msgids`);
  }
  for (const po of pos) {
    if (merge) {
      execFileSync('msgmerge', ['--quiet', '--update', '--backup=none', '--no-wrap', po, potPath], { stdio: 'inherit' });
    }
    const { untranslated, fuzzy } = coverage(readFileSync(po, 'utf8'), entries.map((e) => e.msgid));
    const rel = relative(ROOT, po);
    console.log(`${rel}: ${entries.length - untranslated.length - fuzzy.length} of ${entries.length} translated` +
      (untranslated.length ? `, ${untranslated.length} untranslated` : '') + (fuzzy.length ? `, ${fuzzy.length} fuzzy` : ''));
    if (check && (untranslated.length || fuzzy.length)) {
      ok = false;
      for (const s of untranslated) console.log(`  untranslated: ${JSON.stringify(s)}`);
      for (const s of fuzzy) console.log(`  fuzzy: ${JSON.stringify(s)}`);
    }
  }
  return ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
