import { describe, expect, it } from 'vitest'
import {
  branchIdError,
  companyFileName,
  emailError,
  isValidKraPin,
  joinPath,
  kraPinError,
  normaliseKraPin,
  passwordError,
} from './validation'

describe('KRA PIN', () => {
  it('accepts A/P, nine digits and a letter, after trimming and upper-casing', () => {
    expect(isValidKraPin('P051234567X')).toBe(true)
    expect(isValidKraPin('A012345678B')).toBe(true)
    expect(isValidKraPin('  p051234567x ')).toBe(true)
    expect(normaliseKraPin(' p051234567x ')).toBe('P051234567X')
    expect(kraPinError('p051234567x')).toBeNull()
  })

  it('rejects anything else and shows the expected format', () => {
    for (const pin of ['B051234567X', 'P05123456X', 'P0512345678X', 'P051234567', 'P05123456 7X', 'P0512345671']) {
      expect(isValidKraPin(pin), pin).toBe(false)
    }
    expect(kraPinError('x123')).toMatch(/'X123' is not valid.*A or P, nine digits, then a letter/)
    expect(kraPinError('  ')).toBe('The KRA PIN is required.')
  })
})

describe('other checks', () => {
  it('checks branch ids, emails and password length like the core', () => {
    expect(branchIdError('00')).toBeNull()
    expect(branchIdError('0')).toMatch(/two digits/)
    expect(emailError('jane@example.co.ke')).toBeNull()
    expect(emailError('jane')).toMatch(/not an email address/)
    expect(passwordError('1234567')).toMatch(/at least 8/)
    expect(passwordError('12345678')).toBeNull()
  })

  it('derives a company file name from the legal name', () => {
    expect(companyFileName('Savannah Traders Limited')).toBe('savannah-traders-limited.hesabu')
    expect(companyFileName('  Mama Mboga & Sons (K) Ltd. ')).toBe('mama-mboga-and-sons-k-ltd.hesabu')
    expect(companyFileName('')).toBe('company.hesabu')
    expect(joinPath('/home/me/Hesabu', 'a.hesabu')).toBe('/home/me/Hesabu/a.hesabu')
    expect(joinPath('/home/me/Hesabu/', 'a.hesabu')).toBe('/home/me/Hesabu/a.hesabu')
    expect(joinPath('C:\\Users\\me\\Hesabu', 'a.hesabu')).toBe('C:\\Users\\me\\Hesabu\\a.hesabu')
  })
})
