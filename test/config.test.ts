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

describe('loadConfig with STORAGE=s3', () => {
  const complete = {
    STORAGE: 's3',
    S3_ENDPOINT: 'http://127.0.0.1:7480',
    S3_BUCKET: 'pictures',
    S3_ACCESS_KEY: 'access',
    S3_SECRET_KEY: 'secret',
    SECRET: 'x'.repeat(32),
  };

  it('takes a complete set of settings, with defaults for the rest', () => {
    expect(loadConfig(complete)).toMatchObject({
      STORAGE: 's3',
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: false,
      S3_PART_BYTES: 8 * 1024 ** 2,
      S3_QUEUE_SIZE: 4,
      S3_PRESIGN: false,
    });
    expect(loadConfig({}).STORAGE).toBe('local');
  });

  it.each(['S3_BUCKET', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'SECRET'])(
    'refuses to start without %s, naming it',
    (name) => {
      expect(() => loadConfig({ ...complete, [name]: undefined })).toThrow(new RegExp(`${name}: required`));
    },
  );

  it.each([
    ['S3_ENDPOINT', 'ftp://s3.example'],
    ['S3_BUCKET', 'Has_Capitals'],
    ['S3_PART_BYTES', String(4 * 1024 ** 2)],
    ['S3_FORCE_PATH_STYLE', 'sometimes'],
    ['STORAGE', 'nfs'],
  ])('refuses %s=%j, naming it', (name, value) => {
    expect(() => loadConfig({ ...complete, [name]: value })).toThrow(new RegExp(name));
  });

  it('refuses S3_PRESIGN without STORAGE=s3', () => {
    expect(() => loadConfig({ S3_PRESIGN: 'true' })).toThrow(/S3_PRESIGN: only with STORAGE=s3/);
  });
});
