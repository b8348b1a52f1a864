// The patch derivation on its own: what a difference becomes (add, replace, remove, whole arrays),
// the order of the operations, pointer escaping, and, for any two JSON objects with short keys, a
// patch that turns the first into the second when fast-json-patch applies it.
import fc from 'fast-check';
import fastJsonPatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { diff } from '../src/admission/json-diff.js';

const { applyPatch, deepClone } = fastJsonPatch;

describe('diff', () => {
  it('gives nothing for the same value, and stops at a shared subtree without looking inside', () => {
    const shared = Object.defineProperty({}, 'inside', {
      enumerable: true,
      get: () => {
        throw new Error('diff looked inside a shared subtree');
      },
    });
    expect(diff({ a: shared, b: [1, 2] }, { a: shared, b: [1, 2] })).toEqual([]);
    expect(diff(shared, shared)).toEqual([]);
  });

  it('lists removals first at each level, then replacements and additions in the edited order', () => {
    const original = { x: { p: 1, q: 2 }, y: 1, gone: true };
    const edited = { x: { q: 3 }, y: 1, z: { new: 1 } };
    expect(diff(original, edited)).toEqual([
      { op: 'remove', path: '/gone' },
      { op: 'remove', path: '/x/p' },
      { op: 'replace', path: '/x/q', value: 3 },
      { op: 'add', path: '/z', value: { new: 1 } },
    ]);
  });

  it('puts a nested removal after the operations before it at the outer level', () => {
    expect(diff({ a: 1, x: { p: 1 } }, { a: 2, x: {} })).toEqual([
      { op: 'replace', path: '/a', value: 2 },
      { op: 'remove', path: '/x/p' },
    ]);
  });

  it('treats an undefined value as an absent key, on either side', () => {
    expect(diff({ a: undefined, b: 1 }, { b: 1 })).toEqual([]);
    expect(diff({ a: 1, b: 1 }, { a: undefined, b: 1 })).toEqual([{ op: 'remove', path: '/a' }]);
    expect(diff({ b: 1 }, { a: undefined, b: 1 })).toEqual([]);
  });

  it('walks arrays of the same length item by item and replaces one whose length changed', () => {
    expect(diff({ list: [{ a: 1 }, 2] }, { list: [{ a: 2 }, 2] })).toEqual([{ op: 'replace', path: '/list/0/a', value: 2 }]);
    expect(diff({ list: [1] }, { list: [1, 2] })).toEqual([{ op: 'replace', path: '/list', value: [1, 2] }]);
  });

  it('escapes ~ and / in keys as JSON Pointer asks', () => {
    expect(diff({}, { 'a/b~c': 1 })).toEqual([{ op: 'add', path: '/a~1b~0c', value: 1 }]);
    expect(diff({ 'a/b~c': 1 }, {})).toEqual([{ op: 'remove', path: '/a~1b~0c' }]);
  });

  it('gives, for any two JSON objects with short keys, a patch that turns the first into the second', () => {
    // Keys of at most 4 characters: a key named like a member of Object.prototype (toString,
    // __proto__) that is in only one of the two objects is misread. The rules never add or remove
    // such a key, and a pod's own ones (an annotation, say) are the same on both sides.
    const object = fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
    fc.assert(
      fc.property(object, object, (original, edited) => {
        const patched = applyPatch(deepClone(original), diff(original, edited), true, true).newDocument;
        expect(patched).toEqual(edited);
      }),
      { numRuns: 500 },
    );
  });
});
