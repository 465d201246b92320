// Kubernetes resource quantities, as apimachinery's `resource.ParseQuantity` reads them: a signed decimal number and
// an optional binary (Ki..Ei), decimal (n, u, m, k, M..E) or exponent (e3, E-2) suffix. Values are kept exact.

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const BINARY: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DECIMAL_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** An exact quantity: numerator / denominator, denominator > 0. */
export interface Quantity {
  readonly text: string;
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/** Parses `text` as a Kubernetes quantity; undefined when it is not one. */
export function parseQuantity(text: string | number): Quantity | undefined {
  const shown = String(text);
  const match = QUANTITY.exec(shown);
  if (!match) return undefined;
  const [, sign, number, suffix = ''] = match as unknown as [string, string, string, string | undefined];
  const [whole = '', fraction = ''] = number.split('.');
  let numerator = BigInt(`${whole || '0'}${fraction}`) * (sign === '-' ? -1n : 1n);
  let denominator = 10n ** BigInt(fraction.length);
  const exponent = suffix in DECIMAL_EXPONENT ? DECIMAL_EXPONENT[suffix]! : /^[eE]/.test(suffix) ? Number(suffix.slice(1)) : 0;
  if (Math.abs(exponent) > 100) return undefined;
  if (suffix in BINARY) numerator *= BINARY[suffix]!;
  else if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
  else denominator *= 10n ** BigInt(-exponent);
  return { text: shown, numerator, denominator };
}

/** -1, 0 or 1 as `a` is smaller than, equal to or larger than `b`. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  const left = a.numerator * b.denominator;
  const right = b.numerator * a.denominator;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** The largest of `quantities` (the first of equal ones); undefined for none. */
export function largestQuantity(quantities: readonly Quantity[]): Quantity | undefined {
  return quantities.reduce<Quantity | undefined>((best, q) => (best === undefined || compareQuantities(q, best) > 0 ? q : best), undefined);
}

/** The whole number of units `q` holds, rounded up, as apimachinery's `Quantity.Value()` gives it. */
export function quantityValue(q: Quantity): bigint {
  const whole = q.numerator / q.denominator;
  return whole * q.denominator < q.numerator ? whole + 1n : whole;
}
