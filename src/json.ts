// Plain JSON as it arrives (a review, a pod, a file): the object test every reader of it needs.
export type Json = Record<string, unknown>;

/** A JSON object: not null, not a list. */
export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
