/** resolveConnection against real config files in temp dirs and explicit env objects (never the real home). */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { RuntimeError, UsageError } from '../cli/errors.js';
import { resolveConnection, type ConnectionFlags } from './resolve.js';

let root: string;
let env: NodeJS.ProcessEnv;
let ourFile: string;
let kongctlFile: string;

async function write(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
}

function resolve(flags: ConnectionFlags = {}, extra: NodeJS.ProcessEnv = {}) {
  return resolveConnection(flags, { ...env, ...extra });
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'konnect-audit-config-'));
});
after(() => rm(root, { recursive: true, force: true }));

let caseNumber = 0;
beforeEach(async () => {
  const dir = join(root, String(++caseNumber));
  env = { XDG_CONFIG_HOME: join(dir, 'xdg'), HOME: join(dir, 'home') };
  ourFile = join(dir, 'xdg', 'konnect-audit', 'config.yaml');
  kongctlFile = join(dir, 'xdg', 'kongctl', 'config.yaml');
  await mkdir(join(dir, 'home'), { recursive: true });
});

describe('resolveConnection: tokens', () => {
  test('takes every token source in order: --pat, ours, KONNECT_TOKEN, our file, kongctl env, kongctl file', async () => {
    await write(ourFile, 'default:\n  konnect:\n    pat: from-our-file\n');
    await write(kongctlFile, 'default:\n  konnect:\n    pat: from-kongctl-file\n');
    const allEnv: NodeJS.ProcessEnv = {
      KONNECT_AUDIT_DEFAULT_KONNECT_PAT: 'from-our-env',
      KONNECT_TOKEN: 'from-konnect-token',
      KONGCTL_DEFAULT_KONNECT_PAT: 'from-kongctl-env',
    };
    const seen: string[][] = [];
    seen.push(await resolve({ pat: 'from-flag' }, allEnv).then((c) => [c.token, c.tokenSource]));
    seen.push(await resolve({}, allEnv).then((c) => [c.token, c.tokenSource]));
    delete allEnv.KONNECT_AUDIT_DEFAULT_KONNECT_PAT;
    seen.push(await resolve({}, allEnv).then((c) => [c.token, c.tokenSource]));
    delete allEnv.KONNECT_TOKEN;
    seen.push(await resolve({}, allEnv).then((c) => [c.token, c.tokenSource]));
    await write(ourFile, 'default:\n  output: text\n');
    seen.push(await resolve({}, allEnv).then((c) => [c.token, c.tokenSource]));
    delete allEnv.KONGCTL_DEFAULT_KONNECT_PAT;
    seen.push(await resolve({}, allEnv).then((c) => [c.token, c.tokenSource]));
    assert.deepEqual(seen, [
      ['from-flag', '--pat'],
      ['from-our-env', 'KONNECT_AUDIT_DEFAULT_KONNECT_PAT'],
      ['from-konnect-token', 'KONNECT_TOKEN'],
      ['from-our-file', `config file ${ourFile}`],
      ['from-kongctl-env', 'KONGCTL_DEFAULT_KONNECT_PAT'],
      ['from-kongctl-file', `kongctl config file ${kongctlFile}`],
    ]);
  });

  test('empty strings count as absent', async () => {
    await write(ourFile, 'default:\n  konnect:\n    pat: ""\n');
    await write(kongctlFile, 'default:\n  konnect:\n    pat: from-kongctl-file\n');
    const connection = await resolve({ pat: '' }, { KONNECT_AUDIT_DEFAULT_KONNECT_PAT: '', KONNECT_TOKEN: '  ', KONGCTL_DEFAULT_KONNECT_PAT: '' });
    assert.deepEqual([connection.token, connection.tokenSource], ['from-kongctl-file', `kongctl config file ${kongctlFile}`]);
  });

  test('the profile picks the section and the env names; dots and hyphens become underscores', async () => {
    await write(ourFile, 'default:\n  konnect:\n    pat: default-pat\nmy-team.eu:\n  konnect:\n    pat: team-pat\n');
    const byFlag = await resolve({ profile: 'my-team.eu' });
    assert.deepEqual([byFlag.profile, byFlag.token], ['my-team.eu', 'team-pat']);
    const byEnv = await resolve({}, { KONNECT_AUDIT_PROFILE: 'my-team.eu', KONNECT_AUDIT_MY_TEAM_EU_KONNECT_PAT: 'team-env-pat' });
    assert.deepEqual([byEnv.profile, byEnv.token, byEnv.tokenSource], ['my-team.eu', 'team-env-pat', 'KONNECT_AUDIT_MY_TEAM_EU_KONNECT_PAT']);
  });

  test('--config-file replaces the default file', async () => {
    const custom = join(env.HOME!, 'custom.yaml');
    await write(custom, 'default:\n  konnect:\n    pat: custom-pat\n');
    const connection = await resolve({ configFile: custom });
    assert.deepEqual([connection.token, connection.tokenSource], ['custom-pat', `config file ${custom}`]);
  });

  test('config keys match case-insensitively, as in kongctl', async () => {
    await write(ourFile, 'Default:\n  Konnect:\n    PAT: mixed-case-pat\n');
    assert.equal((await resolve()).token, 'mixed-case-pat');
  });

  test('no token anywhere: the error names every way to provide one', async () => {
    const error = await resolve().then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof RuntimeError);
    assert.equal(
      error.message,
      `no Konnect token found for profile "default". Provide one with --pat, the KONNECT_AUDIT_DEFAULT_KONNECT_PAT or KONNECT_TOKEN environment variable, "konnect: pat:" under profile "default" in ${ourFile}, or kongctl's config ${kongctlFile} (or KONGCTL_DEFAULT_KONNECT_PAT)`,
    );
  });
});

describe('resolveConnection: base URLs', () => {
  const token = { KONNECT_TOKEN: 't' };

  test('defaults to the US region and the global host', async () => {
    const connection = await resolve({}, token);
    assert.deepEqual(connection, {
      profile: 'default',
      baseUrl: 'https://us.api.konghq.com',
      globalBaseUrl: 'https://global.api.konghq.com',
      token: 't',
      tokenSource: 'KONNECT_TOKEN',
      profileSettings: {},
    });
  });

  test('precedence: --base-url, --region, configured base-url, configured region, default', async () => {
    await write(ourFile, 'default:\n  konnect:\n    base-url: https://file.example\n    region: au\n');
    const regionEnv = { ...token, KONNECT_AUDIT_DEFAULT_KONNECT_REGION: 'me' };
    const baseUrlEnv = { ...regionEnv, KONNECT_AUDIT_DEFAULT_KONNECT_BASE_URL: 'https://env.example/' };
    assert.equal((await resolve({ baseUrl: 'http://127.0.0.1:8117/eu/', region: 'in' }, baseUrlEnv)).baseUrl, 'http://127.0.0.1:8117/eu');
    assert.equal((await resolve({ region: 'in' }, baseUrlEnv)).baseUrl, 'https://in.api.konghq.com');
    assert.equal((await resolve({}, baseUrlEnv)).baseUrl, 'https://env.example');
    // A configured base-url (file) still beats a region from the environment.
    assert.equal((await resolve({}, regionEnv)).baseUrl, 'https://file.example');
    await write(ourFile, 'default:\n  konnect:\n    region: au\n');
    assert.equal((await resolve({}, regionEnv)).baseUrl, 'https://me.api.konghq.com');
    assert.equal((await resolve({}, token)).baseUrl, 'https://au.api.konghq.com');
    await write(ourFile, 'default: {}\n');
    assert.equal((await resolve({}, token)).baseUrl, 'https://us.api.konghq.com');
  });

  test("kongctl's region or base URL is used when ours has none, so a kongctl user's token goes to their region", async () => {
    await write(kongctlFile, 'default:\n  konnect:\n    pat: from-kongctl-file\n    region: eu\n');
    const fromKongctl = await resolve();
    assert.deepEqual([fromKongctl.baseUrl, fromKongctl.globalBaseUrl, fromKongctl.tokenSource], ['https://eu.api.konghq.com', 'https://global.api.konghq.com', `kongctl config file ${kongctlFile}`]);
    // With a token from elsewhere too: the region still comes from kongctl's file.
    assert.equal((await resolve({}, token)).baseUrl, 'https://eu.api.konghq.com');
    // Its environment overrides its file, as in kongctl; base-url beats region.
    assert.equal((await resolve({}, { ...token, KONGCTL_DEFAULT_KONNECT_REGION: 'au' })).baseUrl, 'https://au.api.konghq.com');
    await write(kongctlFile, 'default:\n  konnect:\n    region: eu\n    base-url: http://127.0.0.1:8117/\n');
    const emulator = await resolve({}, token);
    assert.deepEqual([emulator.baseUrl, emulator.globalBaseUrl], ['http://127.0.0.1:8117', 'http://127.0.0.1:8117']);
    // Ours (file or env) and the flags come first.
    assert.equal((await resolve({}, { ...token, KONNECT_AUDIT_DEFAULT_KONNECT_REGION: 'me' })).baseUrl, 'https://me.api.konghq.com');
    await write(ourFile, 'default:\n  konnect:\n    region: in\n');
    assert.equal((await resolve({}, token)).baseUrl, 'https://in.api.konghq.com');
    assert.equal((await resolve({ region: 'sg' }, token)).baseUrl, 'https://sg.api.konghq.com');
    // A value that is set but wrong is an error naming where it came from.
    await write(ourFile, 'default: {}\n');
    await write(kongctlFile, 'default:\n  konnect:\n    region: EU\n');
    await assert.rejects(resolve({}, token), { name: 'RuntimeError', message: `invalid konnect region "EU" from kongctl config file ${kongctlFile} (expected lowercase letters, numbers, or hyphens)` });
  });

  test("KONGCTL_PROFILE picks the profile when neither --profile nor KONNECT_AUDIT_PROFILE does", async () => {
    await write(kongctlFile, 'prod:\n  konnect:\n    pat: prod-token\n    region: eu\n');
    const prod = await resolve({}, { KONGCTL_PROFILE: 'prod' });
    assert.deepEqual([prod.profile, prod.token, prod.baseUrl], ['prod', 'prod-token', 'https://eu.api.konghq.com']);
    assert.equal((await resolve({}, { ...token, KONGCTL_PROFILE: 'prod', KONNECT_AUDIT_PROFILE: 'mine' })).profile, 'mine');
    assert.equal((await resolve({ profile: 'cli' }, { ...token, KONGCTL_PROFILE: 'prod' })).profile, 'cli');
    assert.equal((await resolve({}, { ...token, KONGCTL_PROFILE: ' ' })).profile, 'default');
  });

  test('an invalid --region is a usage error with kongctl\'s text', async () => {
    for (const region of ['EU', 'eu west', 'eu.west']) {
      await assert.rejects(resolve({ region }, token), (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.message, `invalid konnect region "${region}" (expected lowercase letters, numbers, or hyphens)`);
        return true;
      });
    }
  });

  test('an invalid configured region is a runtime error naming its source', async () => {
    await assert.rejects(resolve({}, { ...token, KONNECT_AUDIT_DEFAULT_KONNECT_REGION: 'EU' }), {
      name: 'RuntimeError',
      message: 'invalid konnect region "EU" from KONNECT_AUDIT_DEFAULT_KONNECT_REGION (expected lowercase letters, numbers, or hyphens)',
    });
    await write(ourFile, 'default:\n  konnect:\n    base-url: eu.api.konghq.com\n');
    await assert.rejects(resolve({}, token), {
      name: 'RuntimeError',
      message: `invalid konnect base-url "eu.api.konghq.com" from config file ${ourFile}: not an absolute URL`,
    });
  });

  test('--base-url must be an absolute http(s) URL', async () => {
    const cases: [string, string][] = [
      ['eu.api.konghq.com', 'invalid --base-url "eu.api.konghq.com": not an absolute URL'],
      ['ftp://eu.api.konghq.com', 'invalid --base-url "ftp://eu.api.konghq.com": the scheme must be http or https'],
      ['https://eu.api.konghq.com/?x=1', 'invalid --base-url "https://eu.api.konghq.com/?x=1": must not have a query or fragment'],
    ];
    for (const [baseUrl, message] of cases) {
      await assert.rejects(resolve({ baseUrl }, token), (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.message, message);
        return true;
      });
    }
  });

  test('usage errors come before config file errors', async () => {
    await write(ourFile, 'default: [unclosed\n');
    await assert.rejects(resolve({ region: 'EU' }, token), { name: 'UsageError' });
  });

  test('global base URL: Konnect hosts use the global host, any other URL serves destinations itself', async () => {
    assert.equal((await resolve({ region: 'eu' }, token)).globalBaseUrl, 'https://global.api.konghq.com');
    assert.equal((await resolve({ baseUrl: 'https://AU.api.konghq.com/' }, token)).globalBaseUrl, 'https://global.api.konghq.com');
    assert.equal((await resolve({ baseUrl: 'http://127.0.0.1:8117/eu' }, token)).globalBaseUrl, 'http://127.0.0.1:8117/eu');
    assert.equal((await resolve({ baseUrl: 'https://konnect-proxy.internal' }, token)).globalBaseUrl, 'https://konnect-proxy.internal');
    assert.equal((await resolve({ region: 'eu', globalBaseUrl: 'http://127.0.0.1:8117/global/' }, token)).globalBaseUrl, 'http://127.0.0.1:8117/global');
    await assert.rejects(resolve({ globalBaseUrl: 'global' }, token), { name: 'UsageError', message: 'invalid --global-base-url "global": not an absolute URL' });
  });
});

describe('resolveConnection: config files', () => {
  const token = { KONNECT_TOKEN: 't' };

  test('profileSettings: profile-level keys, env overrides, never the konnect block', async () => {
    await write(ourFile, 'default:\n  output: json\n  log-file: /var/log/ka.log\n  konnect:\n    pat: secret\nother:\n  output: yaml\n');
    const connection = await resolve({}, { ...token, KONNECT_AUDIT_DEFAULT_LOG_LEVEL: 'debug', KONNECT_AUDIT_DEFAULT_OUTPUT: 'text' });
    assert.deepEqual(connection.profileSettings, { output: 'text', 'log-file': '/var/log/ka.log', 'log-level': 'debug' });
  });

  test('invalid YAML is an error naming the file', async () => {
    await write(ourFile, 'default: [unclosed\n');
    await assert.rejects(resolve({}, token), {
      name: 'RuntimeError',
      message: `invalid config file ${ourFile}: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1`,
    });
  });

  test('a file that is not a mapping of profiles, or a profile that is not a mapping, is invalid', async () => {
    await write(ourFile, '- default\n');
    await assert.rejects(resolve({}, token), { message: `invalid config file ${ourFile}: expected a mapping of profile names to settings` });
    await write(ourFile, 'default: 5\n');
    await assert.rejects(resolve({}, token), { message: `invalid config file ${ourFile}: profile "default" must be a mapping` });
    await write(ourFile, 'default:\n  konnect:\n    base-url: [1]\n');
    await assert.rejects(resolve({}, token), { message: `invalid config file ${ourFile}: default.konnect.base-url must be a string` });
  });

  test('an unreadable file is an error naming the file; a missing one is fine', async () => {
    await mkdir(ourFile, { recursive: true });
    await assert.rejects(resolve({}, token), { name: 'RuntimeError', message: `cannot read config file ${ourFile}: EISDIR: illegal operation on a directory, read` });
    assert.equal((await resolve({ configFile: join(env.HOME!, 'absent.yaml') }, token)).token, 't');
  });

  test('kongctl\'s file is an error only when its token is needed (for the region it is a fallback, and a broken one counts as empty)', async () => {
    await write(kongctlFile, 'default: [unclosed\n');
    assert.deepEqual([(await resolve({}, token)).tokenSource, (await resolve({}, token)).baseUrl], ['KONNECT_TOKEN', 'https://us.api.konghq.com']);
    await assert.rejects(resolve(), {
      name: 'RuntimeError',
      message: `invalid kongctl config file ${kongctlFile}: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1`,
    });
  });
});
