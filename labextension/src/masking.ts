/**
 * What a connection value shows while hidden (pure: unit-tested in
 * __tests__/masking.test.ts). Values that may be passwords are masked until the
 * person asks for them; a URL keeps its host but loses its password.
 */

export const MASK = '••••••••';

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|(^|_)KEY$)/i;
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)([^@\s]+)(@)/i;

/** A connection value as shown while hidden: secrets masked, passwords cut out of URLs. */
export function maskValue(name: string, value: string): { shown: string; secret: boolean } {
  if (SECRET_NAME.test(name)) {
    return { shown: MASK, secret: true };
  }
  if (URL_PASSWORD.test(value)) {
    return { shown: value.replace(URL_PASSWORD, `$1${MASK}$3`), secret: true };
  }
  return { shown: value, secret: false };
}
