import 'reflect-metadata';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { MemoryKeyValueCache } from './cache/key-value.cache';
import { NearCache } from './cache/near.cache';
import { onReconnect } from './cache/redis';
import type { Config } from './config';
import type { RequestContext } from './context';
import { claimStorage } from './db/storage-backend';
import { apiCors, fileCors } from './http/cors';
import { errorHandler, notFoundHandler } from './http/errors';
import { FileDownloads } from './http/file-downloads';
import { errorReportingPlugin, formatGraphQLError } from './http/graphql-errors';
import { graphqlJson } from './http/graphql-json';
import { costLimit, costLimitPlugin, OPERATION_LIMITS, operationLimitRules } from './http/graphql-limits';
import { GraphQLRunner } from './http/graphql-runner';
import { multipartUploads } from './http/multipart-uploads';
import { nulFreeLiteralsRule, nulFreeVariablesPlugin } from './http/nul-free-input';
import { OriginPolicy } from './http/origin';
import { publicFileRoutes } from './http/public-file.routes';
import { RequestContextFactory } from './http/request-context';
import { requestLog } from './http/request-log';
import { Executor } from './legacy-rest/execute';
import { imageHostRouter } from './legacy-rest/imagehost/router';
import { netdiskRouter } from './legacy-rest/netdisk/router';
import { smmsRouter, smmsV2Router } from './legacy-rest/smms/router';
import type { Logger } from './logger';
import { createResolverContainer } from './resolvers';
import { buildAppSchema } from './schema/build-schema';
import { createServices, type Services } from './services';
import { MailService } from './services/mail.service';
import { databaseUrlOf } from './db/data-source';
import { ProcessLease } from './db/process-lease';
import { createStorage } from './storage';
import { BlobReader } from './storage/blob-reader';
import { playgroundRouter } from './web/playground';
import { resetPasswordRouter } from './web/reset-password';
import { sharePageRouter } from './web/share-page';

export interface AppDependencies {
  config: Config;
  logger: Logger;
  dataSource: DataSource;
  redis: Redis | null;
  secret: string;
  /** Whether this process runs the periodic upkeep (the storage sweep, old sessions); one per machine. */
  upkeep?: boolean;
}

export interface App {
  express: Express;
  /** Resolves once the background work started so far (removing bytes, sending mail) has finished. */
  settled(): Promise<void>;
  /** Runs the periodic upkeep now (it also runs at start and hourly): the storage sweep, old sessions. */
  maintain(): Promise<void>;
  /** Stops GraphQL; the caller closes the HTTP server, the database and Redis it opened. */
  stop(): Promise<void>;
}

const GRAPHQL_JSON_LIMIT = '1mb';
const MAINTENANCE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * The upkeep no request asks for: stale storage objects swept, expired sessions deleted. Each task
 * that fails is logged and tried again next time.
 */
async function maintain(services: Services, context: RequestContext, logger: Logger): Promise<void> {
  await services.blobs
    .sweep(context, logger)
    .catch((error: unknown) => logger.error({ err: error }, 'storage sweep failed'));
  await services.auth.deleteExpiredSessions(context).then(
    (deleted) => deleted && logger.info({ deleted }, 'deleted expired sessions'),
    (error: unknown) => logger.error({ err: error }, 'deleting expired sessions failed'),
  );
}

export async function createApp(dependencies: AppDependencies): Promise<App> {
  const { config, logger, dataSource, redis } = dependencies;
  const storageClaim = await claimStorage(dataSource, config.STORAGE, logger);
  const lease = await ProcessLease.acquire(databaseUrlOf(dataSource), logger);
  const { store, directDownload } = await createStorage(config, logger, lease.owner).catch(
    async (error: unknown) => {
      await lease.release();
      await storageClaim.release();
      throw error;
    },
  );
  const nearCache = redis ? await NearCache.connect(redis, logger) : null;
  const cache = nearCache ?? new MemoryKeyValueCache();
  const services = createServices({
    temporaryOwners: lease,
    cache,
    mail: MailService.create(
      {
        smtpUrl: config.SMTP_URL,
        from: config.MAIL_FROM,
        // An instance of a stateless deployment (STORAGE=s3) keeps nothing of its own, mail included.
        outbox: config.STORAGE === 'local' ? path.resolve(config.DATA_DIR, 'outbox') : null,
      },
      logger,
    ),
    authLimits: {
      loginPerAccount: config.LOGIN_ACCOUNT_LIMIT,
      loginPerAddress: config.LOGIN_IP_LIMIT,
      registrationsPerAddress: config.REGISTER_IP_LIMIT,
    },
    countsPerMinute: config.COUNT_LIMIT_PER_MINUTE,
    store,
    secret: dependencies.secret,
    maxUploadBytes: config.MAX_UPLOAD_BYTES,
    defaultQuotaBytes: config.DEFAULT_QUOTA_BYTES,
    redis,
    images: {
      anonymous: config.SM_ANONYMOUS,
      maxBytes: config.SM_MAX_BYTES,
      maxPixels: config.SM_MAX_PIXELS,
      perMinute: config.SM_UPLOADS_PER_MINUTE,
      perDay: config.SM_UPLOADS_PER_DAY,
    },
  });
  const origins = new OriginPolicy(config.CORS_ORIGINS, config.PUBLIC_URL);
  const contexts = new RequestContextFactory(dataSource, services.auth, services.apiTokens, logger, {
    publicUrl: config.PUBLIC_URL,
    fallbackUrl: `http://localhost:${config.PORT}`,
    origins,
  });
  if (redis) {
    onReconnect(redis, () => {
      services.ranking
        .distrust(contexts.background())
        .catch((error: unknown) => logger.error({ err: error }, 'could not mark the ranking for a rebuild'));
    });
  }
  const upkeep = () => maintain(services, contexts.background(), logger);
  let maintenance: NodeJS.Timeout | undefined;
  if (dependencies.upkeep !== false) {
    void upkeep();
    maintenance = setInterval(() => void upkeep(), MAINTENANCE_INTERVAL_MS).unref();
  } else {
    // A worker started in place of one that crashed gives back its space at once, not at the hour.
    void services.blobs
      .sweepTemporary(logger)
      .catch((error: unknown) => logger.error({ err: error }, 'temporary storage sweep failed'));
  }

  const schema = await buildAppSchema(createResolverContainer(services));
  const checkCost = costLimit(schema);
  const validationRules = [...operationLimitRules, nulFreeLiteralsRule];
  const apollo = new ApolloServer<RequestContext>({
    schema,
    csrfPrevention: true,
    // The doors run their operations in-process: nothing needs queries stored by hash.
    persistedQueries: false,
    parseOptions: { maxTokens: OPERATION_LIMITS.maxTokens },
    validationRules,
    // main.ts drains HTTP first and then stops Apollo; its own signal handlers would race that.
    stopOnTerminationSignals: false,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: formatGraphQLError,
    plugins: [
      errorReportingPlugin,
      costLimitPlugin(checkCost),
      nulFreeVariablesPlugin,
      // Installed unless refused, each would run for every request or every field resolved: no field
      // has cache hints, /graphql's page is our own playground, and this schema is no subgraph.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
    ],
  });
  await apollo.start();
  const runner = new GraphQLRunner(schema, validationRules, checkCost);
  const executor = new Executor(runner, contexts);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY);
  app.use(requestLog(logger));

  // Up when the database answers and storage takes writes; 503 otherwise, saying which fails.
  app.get('/healthz', async (_request, response) => {
    const [database, storage] = await Promise.all([
      dataSource.query('SELECT 1').then(
        () => ({ reachable: true }),
        () => ({ reachable: false }),
      ),
      store.status(),
    ]);
    if (!database.reachable) {
      response.status(503).json({ status: 'unavailable', database, storage });
    } else if (!storage.writable) {
      response.status(503).json({ status: 'degraded', database, storage });
    } else {
      response.json({ status: 'ok' });
    }
  });

  // File responses first: a direct link under /Netdisk is a file response, not an API call.
  app.use(['/files', '/s', '/p', '/i', '/Netdisk/download', '/Netdisk/straight'], fileCors());
  app.use(['/graphql', '/api', '/Netdisk', '/sm'], apiCors(origins));
  app.use('/graphql', playgroundRouter());
  app.use(
    '/graphql',
    // Busboy counts reaching its limit as truncation: one byte more lets a file of exactly
    // MAX_UPLOAD_BYTES through, and ingest refuses anything beyond.
    multipartUploads({ maxFileSize: config.MAX_UPLOAD_BYTES + 1, maxFiles: 1 }),
    express.json({ limit: GRAPHQL_JSON_LIMIT }),
    graphqlJson(runner, contexts),
    expressMiddleware(apollo, { context: async ({ req }) => contexts.create(req) }),
  );
  const reader = new BlobReader(store);
  const downloads = new FileDownloads(services.drive, reader, services.signer, contexts, directDownload);
  app.use(downloads.routes());
  app.use(publicFileRoutes(services, reader, contexts));
  app.use(sharePageRouter(executor, config.TIME_ZONE));
  app.use(resetPasswordRouter(executor));
  // Before spec 001's `/api`, which has no `v2`.
  app.use('/api/v2', smmsV2Router(executor));
  app.use('/api', imageHostRouter(executor, { timeZone: config.TIME_ZONE }));
  app.use('/sm', smmsRouter(executor));
  app.use('/Netdisk', netdiskRouter(executor, downloads, { timeZone: config.TIME_ZONE }));

  app.use(notFoundHandler);
  app.use(errorHandler);

  return {
    express: app,
    settled: async () => {
      await services.blobs.settled();
      await services.ranking.settled();
      await services.mail.settled();
    },
    maintain: upkeep,
    stop: async () => {
      clearInterval(maintenance);
      await apollo.stop();
      await services.blobs.settled();
      await services.ranking.settled();
      await services.mail.settled();
      await store.destroy();
      await lease.release();
      await storageClaim.release();
      await nearCache?.close();
    },
  };
}
