import assert from 'node:assert/strict';
import { test } from 'node:test';
import { profilePaths, sanitizeProfile } from './paths.js';

test('sanitizeProfile trims and keeps Unicode letters, digits and -_.', () => {
  assert.equal(sanitizeProfile('  prod-eu_1.x  '), 'prod-eu_1.x');
  assert.equal(sanitizeProfile('équipe-東京'), 'équipe-東京');
  assert.equal(sanitizeProfile('n\u0660\u0967'), 'n\u0660\u0967'); // Arabic-Indic and Devanagari digits
});

test('sanitizeProfile replaces every other character, one _ per character', () => {
  assert.equal(sanitizeProfile('my team/prod'), 'my_team_prod');
  assert.equal(sanitizeProfile('a\\b:c*d'), 'a_b_c_d');
  assert.equal(sanitizeProfile('x😀y'), 'x_y');
  assert.equal(sanitizeProfile('../etc'), '.._etc');
  assert.equal(sanitizeProfile('\u00bd'), '_'); // a number, but not a decimal digit
});

test('sanitizeProfile turns an empty or all-space name into default', () => {
  assert.equal(sanitizeProfile(''), 'default');
  assert.equal(sanitizeProfile(' \t\n\u00a0\u3000'), 'default');
});

test('sanitizeProfile trims what Go trims and nothing else', () => {
  assert.equal(sanitizeProfile('\u2028prod\u205f'), 'prod');
  assert.equal(sanitizeProfile('\ufeffprod'), '_prod'); // JS trim() would drop U+FEFF, Go does not
});

test('sanitizeProfile never yields . or .., which would name the data dir or its parent', () => {
  assert.equal(sanitizeProfile('.'), '_');
  assert.equal(sanitizeProfile(' .. '), '__');
  assert.equal(sanitizeProfile('...'), '...');
});

test('profilePaths puts the events, state, lock, JWKS and quarantine files in the sanitized profile dir', () => {
  assert.deepEqual(profilePaths('/data/audit-logs', 'my team'), {
    dir: '/data/audit-logs/my_team',
    eventsFile: '/data/audit-logs/my_team/events.jsonl',
    listenerFile: '/data/audit-logs/my_team/listener.json',
    destinationFile: '/data/audit-logs/my_team/destination.json',
    lockFile: '/data/audit-logs/my_team/listener.lock',
    jwksFile: '/data/audit-logs/my_team/jwks.json',
    quarantineFile: '/data/audit-logs/my_team/quarantine.jsonl',
  });
  assert.equal(profilePaths('/data', '').dir, '/data/default');
});
