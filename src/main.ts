import 'reflect-metadata';
import cluster from 'node:cluster';
import { mkdir } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { ConfigError, loadConfig, type Config } from './config';
import { startEmbeddedPostgres } from './db/embedded-postgres';
import { createLogger, type Logger } from './logger';
import { serve, type Serving } from './process/serve';
import { Shutdown } from './process/shutdown';
import { startWorkers, WORKER_SLOT_VARIABLE } from './process/workers';
import { loadSecret } from './secret';

/**
 * Lets the old generation grow by half over what the last full collection kept, where V8 otherwise
 * lets it grow up to fourfold: under many small requests, what requests in flight leave behind is
 * promoted, and waits there for a full collection. Measured with the same load: 238 MB peak RSS by
 * default, 167 MB with this, at no throughput cost that the noise of this machine shows.
 */
setFlagsFromString('--heap-growing-percent=50');

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

/**
 * Calls `stop` on the first SIGINT or SIGTERM. A signal during start-up is held until `armed` is
 * called, then handled like any other: stopping half-started pieces (an embedded postgres mid-launch)
 * from a signal handler would race them.
 */
function onStopSignal(stop: (signal: string) => void): { armed: () => void } {
  let armed = false;
  let pending: string | null = null;
  let stopping = false;
  const handle = (signal: string) => {
    if (!armed) {
      pending = signal;
      return;
    }
    if (stopping) return;
    stopping = true;
    stop(signal);
  };
  process.on('SIGINT', () => handle('SIGINT'));
  process.on('SIGTERM', () => handle('SIGTERM'));
  return {
    armed: () => {
      armed = true;
      if (pending) handle(pending);
    },
  };
}

/** How many serving processes to run: WORKERS, or one when nothing would be shared between them. */
function workerCount(config: Config, logger: Logger): number {
  if (config.WORKERS > 1 && !config.REDIS_URL) {
    logger.warn(
      { workers: config.WORKERS },
      'REDIS_URL is not set: running 1 worker, since sessions cache, rate limits and counters would be per process',
    );
    return 1;
  }
  return config.WORKERS;
}

/**
 * The primary: prepares what every worker shares (the data directory, the secret, an embedded
 * PostgreSQL when DATABASE_URL is unset), then serves itself with one worker or forks WORKERS of
 * them onto the same port. It stops the workers before the database they use.
 */
async function runPrimary(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  const shutdown = new Shutdown(logger);
  let stopServing: () => Promise<void> = async () => undefined;
  const stopAll = async (status: number) => {
    await stopServing();
    await shutdown.run();
    if (status === 0) logger.info('stopped');
    process.exit(status);
  };
  const signals = onStopSignal((signal) => {
    logger.info({ signal }, 'draining requests and shutting down');
    void stopAll(0);
  });

  try {
    await mkdir(config.DATA_DIR, { recursive: true });
    const secret = await loadSecret(config.SECRET, config.DATA_DIR);
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres(config.DATA_DIR, config.EMBEDDED_PG_PORT, logger);
      shutdown.add('embedded postgres', () => embedded.stop());
      databaseUrl = embedded.url;
    }

    const workers = workerCount(config, logger);
    if (workers === 1) {
      const serving: Serving = await serve(config, logger, { databaseUrl, secret, upkeep: true });
      stopServing = () => serving.drain();
    } else {
      const pool = startWorkers(workers, { DATABASE_URL: databaseUrl, SECRET: secret }, logger, (error) => {
        logger.fatal({ err: error }, 'a worker could not start: stopping');
        void stopAll(1);
      });
      stopServing = () => pool.stop();
      await pool.ready;
    }
    logger.info({ port: config.PORT, publicUrl: config.PUBLIC_URL, workers }, 'Picvault is ready');
    signals.armed();
  } catch (error) {
    logger.fatal({ err: error }, 'Picvault could not start');
    await stopAll(1);
  }
}

/** A forked worker: serves with what the primary put in its environment until told to stop. */
async function runWorker(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger(config.LOG_LEVEL).child({ worker: Number(process.env[WORKER_SLOT_VARIABLE]) });
  let serving: Serving | null = null;
  const signals = onStopSignal(() => {
    void serving!.drain().then(() => process.exit(0));
  });
  try {
    serving = await serve(config, logger, {
      // The primary always sets both: an embedded database's URL, and the secret it loaded or made.
      databaseUrl: config.DATABASE_URL!,
      secret: config.SECRET!,
      upkeep: process.env[WORKER_SLOT_VARIABLE] === '0',
    });
    signals.armed();
  } catch (error) {
    logger.fatal({ err: error }, 'the worker could not start');
    process.exit(1);
  }
}

void (cluster.isPrimary ? runPrimary() : runWorker());
