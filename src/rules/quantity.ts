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

/** True when the text parses as a quantity. */
export function isQuantity(input: string | number): boolean {
  try {
    parseQuantity(input);
    return true;
  } catch {
    return false;
  }
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
