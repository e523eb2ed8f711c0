import 'reflect-metadata';
import { mkdir } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { createApp, type App } from './app';
import { connectRedis } from './cache/redis';
import { ConfigError, loadConfig } from './config';
import { openDatabase } from './db/data-source';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded-postgres';
import { createHttpServer } from './http/server';
import { createLogger } from './logger';
import { loadSecret } from './secret';

const DRAIN_TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger(config.LOG_LEVEL);
  const cleanups: { name: string; run: () => Promise<unknown> }[] = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) {
      logger.debug({ step: cleanup.name }, 'shutting down');
      await cleanup
        .run()
        .catch((error: unknown) => logger.error({ err: error, step: cleanup.name }, 'shutdown step failed'));
    }
  };

  // A signal during start-up is held until the server is up, then handled like any other: stopping
  // half-started pieces (an embedded postgres mid-launch) from a signal handler would race them.
  let stop: ((signal: string) => void) | null = null;
  let pendingSignal: string | null = null;
  const onSignal = (signal: string) => (stop ? stop(signal) : (pendingSignal = signal));
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  try {
    await mkdir(config.DATA_DIR, { recursive: true });
    const secret = await loadSecret(config.SECRET, config.DATA_DIR);

    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const embedded: EmbeddedDatabase = await startEmbeddedPostgres(
        config.DATA_DIR,
        config.EMBEDDED_PG_PORT,
        logger,
      );
      cleanups.push({ name: 'embedded postgres', run: () => embedded.stop() });
      databaseUrl = embedded.url;
    }
    const dataSource: DataSource = await openDatabase(databaseUrl);
    cleanups.push({ name: 'database pool', run: () => dataSource.destroy() });

    let redis: Redis | null = null;
    if (config.REDIS_URL) {
      const connected = await connectRedis(config.REDIS_URL, config.REDIS_PREFIX, logger);
      cleanups.push({ name: 'redis', run: () => connected.quit() });
      redis = connected;
    } else {
      logger.info('REDIS_URL is not set: caches, counters and rate limits live in this process');
    }

    const app: App = await createApp({ config, logger, dataSource, redis, secret });
    cleanups.push({ name: 'graphql', run: () => app.stop() });

    const server = createHttpServer(app.express, { idleTimeoutSeconds: config.IDLE_TIMEOUT_SECONDS });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PORT, config.HOST, resolve);
    });
    logger.info({ port: config.PORT, publicUrl: config.PUBLIC_URL }, 'Picvault is ready');

    let stopping = false;
    stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'draining requests and shutting down');
      const forceClose = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS).unref();
      // A keep-alive connection whose last request just finished would otherwise hold the drain open
      // until its keep-alive timeout: close each connection as soon as it goes idle.
      const closeIdle = setInterval(() => server.closeIdleConnections(), 100).unref();
      server.close(() => {
        clearTimeout(forceClose);
        clearInterval(closeIdle);
        void cleanUp().then(() => {
          logger.info('stopped');
          process.exit(0);
        });
      });
      server.closeIdleConnections();
    };
    if (pendingSignal) stop(pendingSignal);
  } catch (error) {
    logger.fatal({ err: error }, 'Picvault could not start');
    await cleanUp();
    process.exit(1);
  }
}

void main();
