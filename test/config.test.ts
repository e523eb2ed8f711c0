import { ConfigError, loadConfig } from '../src/config';

describe('loadConfig', () => {
  it('reads CORS_ORIGINS as a list of origins, commas or spaces between them', () => {
    const config = loadConfig({
      CORS_ORIGINS: 'https://app.example, http://localhost:3000  https://b.example/',
    });
    expect(config.CORS_ORIGINS).toEqual([
      'https://app.example',
      'http://localhost:3000',
      'https://b.example',
    ]);
    expect(loadConfig({}).CORS_ORIGINS).toEqual([]);
  });

  it.each(['*', 'app.example', 'https://app.example/path', 'ftp://app.example', 'null'])(
    'refuses %j in CORS_ORIGINS, naming the variable',
    (entry) => {
      expect(() => loadConfig({ CORS_ORIGINS: `https://ok.example,${entry}` })).toThrow(ConfigError);
      expect(() => loadConfig({ CORS_ORIGINS: entry })).toThrow(/CORS_ORIGINS/);
    },
  );

  it('leaves PUBLIC_URL and the quota unset unless given, and defaults the limits', () => {
    expect(loadConfig({})).toMatchObject({
      PUBLIC_URL: null,
      DEFAULT_QUOTA_BYTES: null,
      IDLE_TIMEOUT_SECONDS: 60,
      LOGIN_ACCOUNT_LIMIT: 10,
      LOGIN_IP_LIMIT: 50,
      REGISTER_IP_LIMIT: 20,
    });
    expect(loadConfig({ PUBLIC_URL: 'https://pics.example/', DEFAULT_QUOTA_BYTES: '1000' })).toMatchObject({
      PUBLIC_URL: 'https://pics.example',
      DEFAULT_QUOTA_BYTES: 1000,
    });
  });

  it.each([
    ['DEFAULT_QUOTA_BYTES', '-1'],
    ['IDLE_TIMEOUT_SECONDS', '0'],
    ['LOGIN_IP_LIMIT', 'many'],
  ])('refuses %s=%j', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});
