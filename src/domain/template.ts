// Config templates for `vault inject`: {{ vault://entry/field }} is replaced by the value.
import { UsageError } from '../errors';
import { FieldRef } from './profile';

const REF = /\{\{\s*vault:\/\/([a-z0-9][a-z0-9._-]{0,63})\/([A-Za-z][A-Za-z0-9_]{0,31})\s*\}\}/g;

export function templateRefs(text: string): FieldRef[] {
  // A "{{ vault://" that is not a well-formed reference is an error, not text to leave as is.
  text.split('\n').forEach((line, i) => {
    const stripped = line.replace(REF, '');
    if (/\{\{\s*vault:/.test(stripped)) throw new UsageError(`line ${i + 1} of the template has a malformed reference`, ['the form is {{ vault://ENTRY/FIELD }}']);
  });
  return [...text.matchAll(REF)].map((m) => ({ entry: m[1]!, field: m[2]! }));
}

export interface Placeholder extends FieldRef {
  /** Offsets of the whole {{ ... }} in the template, and its line (from 1). */
  start: number;
  end: number;
  line: number;
}

/** Every reference with where it stands; templateRefs has checked the template's form. */
export function templatePlaceholders(text: string): Placeholder[] {
  templateRefs(text);
  return [...text.matchAll(REF)].map((m) => ({ entry: m[1]!, field: m[2]!, start: m.index, end: m.index + m[0].length, line: text.slice(0, m.index).split('\n').length }));
}
