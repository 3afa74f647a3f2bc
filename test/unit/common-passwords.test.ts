import { describe, expect, it } from 'vitest';
import { commonPasswordCount, isCommonPassword } from '../../src/domain/common-passwords';
import { credentials, parse } from '../../src/domain/schemas';

describe('common passwords', () => {
  it('the list holds at least 10,000 passwords', () => {
    expect(commonPasswordCount()).toBeGreaterThanOrEqual(10_000);
  });

  it.each(['password', 'Password1', 'iloveyou', 'qwertyuiop', '12345678'])('%s is common', (p) => {
    expect(isCommonPassword(p)).toBe(true);
  });

  it('a long unusual passphrase is not common', () => {
    expect(isCommonPassword('correct horse battery')).toBe(false);
  });

  it('sign-up input with a common password is refused with a sentence saying why', () => {
    expect(() => parse(credentials, { username: 'ana', password: 'sunshine1' })).toThrow(
      /password is one of the most common passwords, which attackers try first/,
    );
  });
});
