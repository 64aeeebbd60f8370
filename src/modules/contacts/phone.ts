import {
  type CountryCode,
  isSupportedCountry,
  Metadata,
  parsePhoneNumberFromString,
} from 'libphonenumber-js/max';

/** The part of the library's metadata API its typings leave out. */
interface Plans {
  selectNumberingPlan(country: string): void;
  numberingPlan: { nationalPrefix(): string | undefined };
}

/**
 * A number written without its country code is read in the workspace's default country only when
 * it is plainly a number there: a mobile number, or a fixed line written with the country's trunk
 * prefix (0). "4155550100" in an Indian workspace is a San Francisco number far more often than an
 * Indian landline without its 0, so it is refused and the caller is asked for the country code.
 */
const trunkZero = new Map<string, boolean>();
function hasTrunkZero(country: string): boolean {
  let v = trunkZero.get(country);
  if (v === undefined) {
    const m = new Metadata() as unknown as Plans;
    if (isSupportedCountry(country)) m.selectNumberingPlan(country);
    v = isSupportedCountry(country) && m.numberingPlan.nationalPrefix() === '0';
    trunkZero.set(country, v);
  }
  return v;
}

const written = (input: string) => input.trim();
const isInternational = (input: string) => /^(\+|00)/.test(written(input));

/** True when a national number (no `+`) is too unsure to read in `defaultCountry`. */
export function ambiguousNationalNumber(input: string, defaultCountry: string): boolean {
  if (isInternational(input) || !hasTrunkZero(defaultCountry)) return false;
  const digits = written(input).replace(/\D/g, '');
  if (digits.startsWith('0')) return false;
  const parsed = parsePhoneNumberFromString(digits, defaultCountry as CountryCode);
  if (!parsed) return false;
  const type = parsed.getType();
  return type === 'FIXED_LINE' || type === undefined;
}

/**
 * The field message for a phone number that was refused: a national number that looks whole is
 * asked for its country code; anything else gets `fallback`.
 */
export function invalidPhoneMessage(
  input: string,
  defaultCountry: string,
  fallback = 'must be a valid phone number (E.164, e.g. +919876543210)',
): string {
  const digits = written(input).replace(/\D/g, '');
  if (isInternational(input) || digits.length < 8 || digits.length > 15) return fallback;
  return `is not a valid ${defaultCountry} number: give the country code, e.g. +<country code> ${written(input)} (a number without + is read in the workspace's default country, ${defaultCountry})`;
}
