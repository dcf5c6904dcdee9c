/**
 * A tiny, tolerant XML reader for the documents libvirt prints (capabilities, domain XML). No DOMParser in Node and
 * no Node modules in shared/, so: elements, attributes (' or "), text, the five predefined entities and numeric
 * character references, comments, processing instructions, CDATA and a DOCTYPE without an internal subset. No
 * namespaces processing (a prefix stays part of the name). Unbalanced or truncated documents are errors.
 */
import { ok, type Result } from '../result';
import type { FerryError } from '../errors';
import { fail } from './text';

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Concatenated text directly inside this element (not its children's), entities decoded, not trimmed. */
  readonly text: string;
}

interface Building {
  name: string;
  attrs: Record<string, string>;
  children: Building[];
  text: string;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_.:-]*/;
const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(s: string): string | undefined {
  let bad = false;
  const out = s.replace(/&([^;&\s]*);?/g, (whole, body: string) => {
    if (!whole.endsWith(';')) {
      bad = true;
      return whole;
    }
    const named = ENTITIES[body];
    if (named !== undefined) return named;
    const num = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(body);
    const code = num ? parseInt(num[1] ?? num[2] ?? '', num[1] ? 16 : 10) : NaN;
    if (!Number.isFinite(code) || code > 0x10ffff) {
      bad = true;
      return whole;
    }
    return String.fromCodePoint(code);
  });
  return bad ? undefined : out;
}

function excerpt(xml: string, at: number): string {
  const lineStart = xml.lastIndexOf('\n', at) + 1;
  const lineEnd = xml.indexOf('\n', at);
  return xml.slice(lineStart, lineEnd === -1 ? undefined : lineEnd);
}

export function parseXml(xml: string): Result<XmlElement, FerryError> {
  const stack: Building[] = [];
  let root: Building | undefined;
  let i = 0;
  const bad = (message: string, at: number) => fail('parse.unrecognised', `Malformed XML: ${message}.`, excerpt(xml, at));

  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const textEnd = lt === -1 ? xml.length : lt;
    if (textEnd > i) {
      const raw = xml.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top) {
        const t = decode(raw);
        if (t === undefined) return bad('bad entity reference', i);
        top.text += t;
      } else if (raw.trim() !== '') {
        return bad('text outside the root element', i);
      }
    }
    if (lt === -1) break;
    i = lt;
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i + 4);
      if (end === -1) return bad('unterminated comment', i);
      i = end + 3;
    } else if (xml.startsWith('<![CDATA[', i)) {
      const end = xml.indexOf(']]>', i + 9);
      const top = stack[stack.length - 1];
      if (end === -1 || !top) return bad('CDATA outside an element or unterminated', i);
      top.text += xml.slice(i + 9, end);
      i = end + 3;
    } else if (xml.startsWith('<?', i)) {
      const end = xml.indexOf('?>', i + 2);
      if (end === -1) return bad('unterminated processing instruction', i);
      i = end + 2;
    } else if (xml.startsWith('<!', i)) {
      const end = xml.indexOf('>', i + 2);
      if (end === -1 || xml.slice(i, end).includes('[')) return bad('unsupported declaration', i);
      i = end + 1;
    } else if (xml.startsWith('</', i)) {
      const m = NAME.exec(xml.slice(i + 2));
      const name = m?.[0] ?? '';
      const close = xml.indexOf('>', i);
      const top = stack.pop();
      if (close === -1) return bad('unterminated end tag (truncated?)', i);
      if (!m || xml.slice(i + 2 + name.length, close).trim() !== '') return bad('bad end tag', i);
      if (!top || top.name !== name) return bad(`</${name}> does not close <${top?.name ?? 'nothing'}>`, i);
      i = close + 1;
    } else {
      const m = NAME.exec(xml.slice(i + 1));
      if (!m) return bad('bad start tag', i);
      const el: Building = { name: m[0], attrs: {}, children: [], text: '' };
      let j = i + 1 + m[0].length;
      let selfClosing = false;
      for (;;) {
        while (j < xml.length && /\s/.test(xml[j] ?? '')) j++;
        if (j >= xml.length) return bad(`unterminated <${el.name}> (truncated?)`, i);
        if (xml.startsWith('/>', j)) {
          selfClosing = true;
          j += 2;
          break;
        }
        if (xml[j] === '>') {
          j += 1;
          break;
        }
        const a = /^([A-Za-z_:][A-Za-z0-9_.:-]*)\s*=\s*(?:'([^'<]*)'|"([^"<]*)")/.exec(xml.slice(j));
        if (!a) return bad(`bad attribute in <${el.name}>`, j);
        const value = decode(a[2] ?? a[3] ?? '');
        if (value === undefined) return bad('bad entity reference in an attribute', j);
        el.attrs[a[1] ?? ''] = value;
        j += a[0].length;
      }
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else if (root) return bad('a second root element', i);
      else root = el;
      if (!selfClosing) stack.push(el);
      i = j;
    }
  }
  if (stack.length > 0) return bad(`<${stack[stack.length - 1]?.name ?? ''}> is never closed (truncated?)`, xml.length - 1);
  if (!root) return fail('parse.unrecognised', 'Not XML: no element found.', xml.trim().split('\n')[0] ?? '');
  return ok(root);
}

/** The first direct child named `name`. */
export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

/** All direct children named `name`. */
export function children(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

/** Follows a path of direct children: `path(root, 'host', 'cpu', 'model')`. */
export function path(el: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  let cur = el;
  for (const n of names) cur = child(cur, n);
  return cur;
}

/** Trimmed text of the element at `names` below `el`, or undefined when absent or empty. */
export function textAt(el: XmlElement | undefined, ...names: string[]): string | undefined {
  const t = path(el, ...names)?.text.trim();
  return t === undefined || t === '' ? undefined : t;
}
