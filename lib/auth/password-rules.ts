// The password rules' numbers, apart from lib/auth/password.ts (node:crypto), so client forms
// can state the rules up front with the same numbers the server checks.
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;
