/**
 * Names on both sides of the secret-name rule (src/runbooks/vars.ts), for every test that holds
 * an implementation of it to the rule: each one decided by a different clause of it.
 */

/** Secret: a long word anywhere, or a short word as a whole `_`-separated part. */
export const SECRET_NAMES: readonly string[] = [
  'GITHUB_TOKEN',
  'TOKEN',
  'DB_PASSWORD',
  'PASSWD',
  'AWS_SECRET_ACCESS_KEY',
  'GPG_PASSPHRASE',
  'DATADOG_APIKEY',
  'HTTP_AUTHORIZATION',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'SSH_PRIVATE',
  'API_KEY',
  'KEY',
  'KEY_ID',
  'DB_PASS',
  'PASS',
  'AUTH_HEADER',
  'GITHUB_AUTH',
  'db_pass',
  'SECRET_SOCK',
];

/** Not secret: a short word inside a longer part, or a socket (`_SOCK` last). */
export const NOT_SECRET_NAMES: readonly string[] = [
  'AUTHOR',
  'GIT_AUTHOR_NAME',
  'MONKEY',
  'COMPASS',
  'PASSENGER_APP_ENV',
  'KEYBOARD_LAYOUT',
  'SSH_AUTH_SOCK',
  'REGION',
  'HOME',
  'PATH',
  'PWD',
  'OLDPWD',
  'LANG',
];
