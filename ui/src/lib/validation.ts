// Client-side checks that mirror the core's (crates/hesabu-core): they give instant feedback,
// the core still validates everything.

export const KRA_PIN_PATTERN = /^[AP]\d{9}[A-Z]$/
export const KRA_PIN_HINT =
  'A or P, nine digits, then a letter — e.g. P051234567X for a company, A012345678B for a person.'

/** Trims and upper-cases a KRA PIN, as the core does. */
export function normaliseKraPin(pin: string): string {
  return pin.trim().toUpperCase()
}

export function isValidKraPin(pin: string): boolean {
  return KRA_PIN_PATTERN.test(normaliseKraPin(pin))
}

/** An error message for a bad KRA PIN, or null when it is fine. */
export function kraPinError(pin: string): string | null {
  const normalised = normaliseKraPin(pin)
  if (normalised === '') return 'The KRA PIN is required.'
  if (KRA_PIN_PATTERN.test(normalised)) return null
  return `KRA PIN '${normalised}' is not valid. Expected format: ${KRA_PIN_HINT}`
}

export function branchIdError(branch: string): string | null {
  return /^\d{2}$/.test(branch.trim())
    ? null
    : `Branch id '${branch.trim()}' is not valid: use the two digits KRA gave the branch, '00' for the head office.`
}

const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/

export function emailError(email: string): string | null {
  const e = email.trim()
  if (e === '') return 'The email address is required.'
  return EMAIL_PATTERN.test(e) ? null : `'${e}' is not an email address: write it like jane@example.co.ke.`
}

export const MIN_PASSWORD_LENGTH = 8

export function passwordError(password: string): string | null {
  return [...password].length >= MIN_PASSWORD_LENGTH
    ? null
    : `The password is too short: use at least ${MIN_PASSWORD_LENGTH} characters.`
}

export function requiredError(label: string, value: string): string | null {
  return value.trim() === '' ? `The ${label} is required.` : null
}

/** The first error of several checks, or null. */
export function firstError(...errors: (string | null)[]): string | null {
  return errors.find((e) => e !== null) ?? null
}

/** Empty (after trimming) becomes null, for optional fields. */
export function optional(value: string): string | null {
  const v = value.trim()
  return v === '' ? null : v
}

/** "Savannah Traders Ltd." -> "savannah-traders-ltd.hesabu" */
export function companyFileName(legalName: string): string {
  const slug = legalName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/g, '')
  return `${slug || 'company'}.hesabu`
}

/** Joins a folder and a file name with the folder's own separator (Windows or POSIX). */
export function joinPath(folder: string, file: string): string {
  if (folder === '') return file
  const sep = folder.includes('\\') && !folder.includes('/') ? '\\' : '/'
  return folder.endsWith(sep) ? folder + file : folder + sep + file
}
