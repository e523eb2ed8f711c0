/** Where the suite finds its services; set by global-setup for every test file. */
export const testEnvironment = {
  get redisUrl(): string {
    return process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  },
  get adminDatabaseUrl(): string {
    return required('PICVAULT_TEST_ADMIN_URL');
  },
  get templateDatabase(): string {
    return required('PICVAULT_TEST_TEMPLATE');
  },
};

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with jest, whose global setup sets it`);
  return value;
}

/** The URL of `database` on the same server as `serverUrl`. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
