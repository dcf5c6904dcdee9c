/**
 * Small helpers every text parser shares. A parser never returns a silent zero: anything it cannot read becomes a
 * typed `parse.*` error whose `detail` is the offending line.
 */
import { err, type Err } from '../result';
import { ferryError, type FerryError, type FerryErrorCode } from '../errors';

/** Splits command output into lines, accepting `\n` and `\r\n`, dropping one trailing empty line per final newline. */
export function splitLines(text: string): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Non-blank lines only. */
export function contentLines(text: string): string[] {
  return splitLines(text).filter((l) => l.trim() !== '');
}

export function fail(code: FerryErrorCode, message: string, detail: string): Err<FerryError> {
  return err(ferryError(code, message, detail));
}

/** Output with nothing in it: the command printed nothing we could read. */
export function emptyOutput(tool: string): Err<FerryError> {
  return err(ferryError('parse.unrecognised', `${tool} printed nothing.`, ''));
}

/** The first non-blank line of a text, for error details. */
export function firstLine(text: string): string {
  return contentLines(text)[0] ?? '';
}

/**
 * Reads `Label: value` lines as virsh prints them (`%-17s %s`): the label is everything before the first colon, the
 * value is the rest, trimmed. Returns undefined for a line without a colon.
 */
export function splitLabel(line: string): { label: string; value: string } | undefined {
  const i = line.indexOf(':');
  if (i <= 0) return undefined;
  return { label: line.slice(0, i).trim(), value: line.slice(i + 1).trim() };
}

/** A T being filled in field by field: every field optional and writable, with T's own value types. */
export type Draft<T> = { -readonly [K in keyof T]?: T[K] };

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
type RequiredKeys<T> = Exclude<keyof T, OptionalKeys<T>>;
/** T, except that its optional fields may also be given as `undefined` (which `compact` then leaves out). */
export type Loose<T> = { [K in RequiredKeys<T>]: T[K] } & { [K in OptionalKeys<T>]?: T[K] | undefined };

/**
 * Builds a T from an object whose optional fields may be `undefined`, leaving those keys out entirely, so that
 * "absent" stays absent (exactOptionalPropertyTypes) and JSON fixtures never carry `undefined`.
 */
export function compact<T extends object>(o: Loose<T>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}
