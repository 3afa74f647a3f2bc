import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * The most common passwords, from the list zxcvbn-ts maintains (about 49,000 entries, ranked by
 * how often they appear in leaked password dumps). Built on first use and compared without
 * regard to case, since "Password1" falls to the same guess list as "password1".
 */
let common: Set<string> | undefined;

export function isCommonPassword(password: string): boolean {
  common ??= new Set(dictionary['passwords-common'].map((word) => word.toLowerCase()));
  return common.has(password.toLowerCase());
}

/** How many passwords the list holds (for the sentence and the tests). */
export const commonPasswordCount = (): number => dictionary['passwords-common'].length;
