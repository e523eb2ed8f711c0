import type { Redis } from 'ioredis';
import { createApp } from '../app';
import { connectRedis } from '../cache/redis';
import type { Config } from '../config';
import { armFaultPoint } from '../faults';
import { openDatabase } from '../db/data-source';
import { createHttpServer } from '../http/server';
import type { Logger } from '../logger';
import { Shutdown } from './shutdown';

/** How long requests in flight get to finish once a stop is asked for. */
const DRAIN_TIMEOUT_MS = 10_000;

export interface ServeOptions {
  databaseUrl: string;
  secret: string;
  /** Whether this process runs the periodic upkeep: one process per machine does. */
  upkeep: boolean;
}

export interface Serving {
  /** Stops taking connections, lets the requests in flight finish, then closes everything it opened. */
  drain(): Promise<void>;
}

/**
 * One serving process: its own database pool, Redis connection, app and HTTP server. Anything it
 * opens before a failure is closed again before the error reaches the caller.
 */
export async function serve(config: Config, logger: Logger, options: ServeOptions): Promise<Serving> {
  const shutdown = new Shutdown(logger);
  armFaultPoint(config.FAULT_POINT ?? null);
  try {
    const dataSource = await openDatabase(options.databaseUrl);
    shutdown.add('database pool', () => dataSource.destroy());

    let redis: Redis | null = null;
    if (config.REDIS_URL) {
      const connected = await connectRedis(config.REDIS_URL, config.REDIS_PREFIX, logger);
      shutdown.add('redis', () => connected.quit());
      redis = connected;
    } else {
      logger.info('REDIS_URL is not set: caches, counters and rate limits live in this process');
    }

    const app = await createApp({
      config,
      logger,
      dataSource,
      redis,
      secret: options.secret,
      upkeep: options.upkeep,
    });
    shutdown.add('graphql', () => app.stop());

    const server = createHttpServer(app.express, { idleTimeoutSeconds: config.IDLE_TIMEOUT_SECONDS });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PORT, config.HOST, resolve);
    });
    return {
      drain: async () => {
        const forceClose = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS).unref();
        // A keep-alive connection whose last request just finished would otherwise hold the drain open
        // until its keep-alive timeout: close each connection as soon as it goes idle.
        const closeIdle = setInterval(() => server.closeIdleConnections(), 100).unref();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await closed;
        clearTimeout(forceClose);
        clearInterval(closeIdle);
        await shutdown.run();
      },
    };
  } catch (error) {
    await shutdown.run();
    throw error;
  }
}
