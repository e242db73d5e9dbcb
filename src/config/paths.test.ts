import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { describe, test } from 'node:test';
import { configDir, dataDirOf, defaultConfigFile, defaultDataDir, kongctlConfigFile } from './paths.js';

describe('config paths', () => {
  test('use XDG_CONFIG_HOME when set', () => {
    const env = { XDG_CONFIG_HOME: '/xdg', HOME: '/home/me' };
    assert.equal(configDir(env), '/xdg/konnect-audit');
    assert.equal(defaultConfigFile(env), '/xdg/konnect-audit/config.yaml');
    assert.equal(defaultDataDir(env), '/xdg/konnect-audit/audit-logs');
    assert.equal(kongctlConfigFile(env), '/xdg/kongctl/config.yaml');
  });

  test('fall back to $HOME/.config', () => {
    const env = { HOME: '/home/me' };
    assert.equal(configDir(env), '/home/me/.config/konnect-audit');
    assert.equal(defaultConfigFile(env), '/home/me/.config/konnect-audit/config.yaml');
    assert.equal(defaultDataDir(env), '/home/me/.config/konnect-audit/audit-logs');
    assert.equal(kongctlConfigFile(env), '/home/me/.config/kongctl/config.yaml');
  });

  test('treat an empty or relative XDG_CONFIG_HOME as unset, as the XDG spec says', () => {
    assert.equal(configDir({ XDG_CONFIG_HOME: '', HOME: '/home/me' }), '/home/me/.config/konnect-audit');
    assert.equal(configDir({ XDG_CONFIG_HOME: 'relative/dir', HOME: '/home/me' }), '/home/me/.config/konnect-audit');
  });

  test('use the OS home directory when HOME is unset', () => {
    assert.equal(configDir({}), `${homedir()}/.config/konnect-audit`);
  });
});

describe('dataDirOf', () => {
  test('--data-dir, else a non-empty data-dir setting, else the default', () => {
    const env = { XDG_CONFIG_HOME: '/x' };
    assert.equal(dataDirOf('/flag', '/setting', env), '/flag');
    assert.equal(dataDirOf(undefined, '/setting', env), '/setting');
    for (const configured of [undefined, '', 42]) assert.equal(dataDirOf(undefined, configured, env), defaultDataDir(env));
  });
});
