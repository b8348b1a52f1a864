// Exact parsing and comparison of Kubernetes resource quantities ("500m", "0.5", "1.5Gi", "1e3").
//
// Written by hand because no maintained npm package parses every documented form exactly:
// the client library's quantityToScalar is not exported from its index, uses floating point
// and throws on fractional binary values such as "1.5Gi". Values are kept as exact rationals
// of BigInts, so "0.1" and "100m" compare equal and nothing is rounded.
//
// Grammar (Kubernetes API reference, "Quantity"):
//   quantity        ::= signedNumber suffix
//   suffix          ::= binarySI | decimalExponent | decimalSI
//   binarySI        ::= Ki | Mi | Gi | Ti | Pi | Ei
//   decimalSI       ::= n | u | m | "" | k | M | G | T | P | E
//   decimalExponent ::= "e" signedInteger | "E" signedInteger
//   number          ::= digits | digits "." digits | digits "." | "." digits

export interface Quantity {
  /** numerator of the exact value */
  readonly num: bigint;
  /** denominator of the exact value, always positive */
  readonly den: bigint;
}

export class QuantityError extends Error {}

const BINARY_POWERS: Record<string, bigint> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };
const DECIMAL_EXPONENTS: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const FORM = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;
const EXPONENT = /^[eE]([+-]?\d+)$/;
/** Beyond this a value is not a resource amount but an attempt to make us do big-number work. */
const MAX_EXPONENT = 100;
const MAX_LENGTH = 128;

/** Parses a quantity as written in a pod (a string, or a number where YAML gave one). */
export function parseQuantity(input: string | number): Quantity {
  const text = typeof input === 'number' ? numberText(input) : input;
  if (typeof text !== 'string' || text.length === 0) throw new QuantityError('empty quantity');
  if (text.length > MAX_LENGTH) throw new QuantityError(`quantity longer than ${MAX_LENGTH} characters`);
  const match = FORM.exec(text);
  const [, sign = '', whole = '', fraction = '', suffix = ''] = match ?? [];
  if (!match || whole.length + fraction.length === 0) {
    throw new QuantityError(`"${text}" is not a quantity: it must start with a number`);
  }
  let decimalExponent = -fraction.length;
  let binaryExponent = 0n;
  if (Object.hasOwn(BINARY_POWERS, suffix)) {
    binaryExponent = BINARY_POWERS[suffix] as bigint;
  } else if (Object.hasOwn(DECIMAL_EXPONENTS, suffix)) {
    decimalExponent += DECIMAL_EXPONENTS[suffix] as number;
  } else {
    const exponent = EXPONENT.exec(suffix);
    if (!exponent) throw new QuantityError(`"${text}" has an unknown suffix "${suffix}"`);
    decimalExponent += Number(exponent[1]);
  }
  if (Math.abs(decimalExponent) > MAX_EXPONENT) throw new QuantityError(`"${text}" is out of range`);
  let num = BigInt(whole + fraction || '0') * (1n << binaryExponent);
  let den = 1n;
  if (decimalExponent >= 0) num *= 10n ** BigInt(decimalExponent);
  else den = 10n ** BigInt(-decimalExponent);
  if (sign === '-') num = -num;
  return { num, den };
}

/** The quantity, or undefined when the value is absent or does not parse. */
export function quantityOrUndefined(input: string | number | null | undefined): Quantity | undefined {
  if (input === undefined || input === null) return undefined;
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}

/** True when the text parses as a quantity. */
export function isQuantity(input: string | number): boolean {
  return quantityOrUndefined(input) !== undefined;
}

/** Negative, zero or positive as a is less than, equal to or greater than b. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  const left = a.num * b.den;
  const right = b.num * a.den;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** JavaScript prints 1e21 as "1e+21" and 1e-7 as "1e-7", both valid quantity forms. */
function numberText(value: number): string {
  if (!Number.isFinite(value)) throw new QuantityError(`${value} is not a quantity`);
  return String(value);
}

// Exact arithmetic for fitting defaults inside a LimitRange (limit-ranges.ts), and the canonical
// text of a computed value. Results are reduced, so repeated operations keep small numbers.

const gcd = (a: bigint, b: bigint): bigint => {
  let [x, y] = [a < 0n ? -a : a, b < 0n ? -b : b];
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
};

function reduced(num: bigint, den: bigint): Quantity {
  if (den === 0n) throw new QuantityError('division by zero');
  if (den < 0n) [num, den] = [-num, -den];
  const divisor = gcd(num, den) || 1n;
  return { num: num / divisor, den: den / divisor };
}

export const ZERO: Quantity = { num: 0n, den: 1n };
export const ONE: Quantity = { num: 1n, den: 1n };
export const addQuantities = (a: Quantity, b: Quantity): Quantity => reduced(a.num * b.den + b.num * a.den, a.den * b.den);
export const subtractQuantities = (a: Quantity, b: Quantity): Quantity => reduced(a.num * b.den - b.num * a.den, a.den * b.den);
/** a × b; a ratio such as a LimitRange's maxLimitRequestRatio is a quantity too ("4", "1.5"). */
export const multiplyQuantities = (a: Quantity, b: Quantity): Quantity => reduced(a.num * b.num, a.den * b.den);
/** a ÷ b; throws QuantityError when b is zero. */
export const divideQuantities = (a: Quantity, b: Quantity): Quantity => reduced(a.num * b.den, a.den * b.num);
export const minQuantity = (a: Quantity, b: Quantity): Quantity => (compareQuantities(a, b) <= 0 ? a : b);
export const maxQuantity = (a: Quantity, b: Quantity): Quantity => (compareQuantities(a, b) >= 0 ? a : b);
export const isZero = (a: Quantity): boolean => a.num === 0n;

const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));

/** The largest multiple of `step` at or below q (step > 0): 1m for cpu, one byte for memory. */
export function floorToStep(q: Quantity, step: Quantity): Quantity {
  const units = floorDiv(q.num * step.den, q.den * step.num);
  return multiplyQuantities({ num: units, den: 1n }, step);
}

/** The smallest multiple of `step` at or above q (step > 0). */
export function ceilToStep(q: Quantity, step: Quantity): Quantity {
  const units = -floorDiv(-q.num * step.den, q.den * step.num);
  return multiplyQuantities({ num: units, den: 1n }, step);
}

/** Kubernetes' two canonical forms: BinarySI (Ki, Mi, Gi, …) for byte amounts, DecimalSI (m, k, M, …) otherwise. */
export type QuantityFormat = 'BinarySI' | 'DecimalSI';

const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;
const DECIMAL_SUFFIXES: ReadonlyArray<[number, string]> = [
  [18, 'E'], [15, 'P'], [12, 'T'], [9, 'G'], [6, 'M'], [3, 'k'], [0, ''], [-3, 'm'], [-6, 'u'], [-9, 'n'],
];

/**
 * The canonical text Kubernetes writes for a quantity (apimachinery's Quantity.String): in
 * BinarySI, a whole number of at least 1024 takes the largest binary suffix that keeps it whole
 * (1536Mi, 2Gi); anything else is DecimalSI with the largest SI suffix that keeps the number whole
 * (250m, 1, 2k). As Kubernetes does, a value finer than a nano-unit is rounded up to the next one.
 */
export function formatQuantity(q: Quantity, format: QuantityFormat = 'DecimalSI'): string {
  const value = reduced(q.num, q.den);
  const negative = value.num < 0n;
  const magnitude = { num: negative ? -value.num : value.num, den: value.den };
  const sign = negative ? '-' : '';
  if (magnitude.num === 0n) return '0';
  if (format === 'BinarySI' && magnitude.den === 1n && magnitude.num >= 1024n) {
    let number = magnitude.num;
    let power = 0;
    while (power < BINARY_SUFFIXES.length - 1 && number % 1024n === 0n) {
      number /= 1024n;
      power += 1;
    }
    return `${sign}${number}${BINARY_SUFFIXES[power]}`;
  }
  // Whole nano-units, rounded away from zero as Kubernetes rounds up.
  const nanos = (magnitude.num * 10n ** 9n + magnitude.den - 1n) / magnitude.den;
  for (const [exponent, suffix] of DECIMAL_SUFFIXES) {
    const unit = 10n ** BigInt(exponent + 9);
    if (nanos % unit === 0n) return `${sign}${nanos / unit}${suffix}`;
  }
  return `${sign}${nanos}n`;
}
