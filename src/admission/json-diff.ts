// The RFC 6902 patch that turns one JSON value into another, derived once after the rules ran.
//
// Hand-written because fast-json-patch's compare walks every value of both documents, shared or
// not, which on a 16 KiB pod costs as much as the whole review budget; this walk stops at any
// subtree the edited copy shares with the original (src/rules/editable-copy.ts), so it costs
// only what the rules touched. It emits `add` for a key that is new (with the whole new value,
// so no operation ever needs a parent that does not exist), `replace` for a changed value and
// `remove` for a deleted key; arrays whose length changed are replaced whole.
import type { Operation } from 'fast-json-patch';
import { isObject } from '../json.js';

/** JSON Pointer (RFC 6901) escaping: `~` becomes `~0` and `/` becomes `~1`, in that order. */
export function escapePointer(key: string | number): string {
  const text = String(key);
  return text.includes('~') || text.includes('/') ? text.replaceAll('~', '~0').replaceAll('/', '~1') : text;
}

export function diff(original: unknown, edited: unknown, path = '', operations: Operation[] = []): Operation[] {
  if (original === edited) return operations;
  if (isObject(original) && isObject(edited)) {
    for (const key in original) {
      if (edited[key] === undefined && original[key] !== undefined) operations.push({ op: 'remove', path: `${path}/${escapePointer(key)}` });
    }
    for (const key in edited) {
      const value = edited[key];
      const before = original[key];
      if (value === undefined || value === before) continue;
      const childPath = `${path}/${escapePointer(key)}`;
      if (before === undefined) operations.push({ op: 'add', path: childPath, value });
      else diff(before, value, childPath, operations);
    }
  } else if (Array.isArray(original) && Array.isArray(edited) && original.length === edited.length) {
    edited.forEach((value, index) => diff(original[index], value, `${path}/${index}`, operations));
  } else {
    operations.push({ op: 'replace', path, value: edited });
  }
  return operations;
}
