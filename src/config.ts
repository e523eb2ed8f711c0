import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { FAULT_POINT } from './faults';

const port = z.coerce.number().int().min(0).max(65535);

const booleanFlag = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no'])
  .transform((value) => value === '1' || value === 'true' || value === 'yes');

const url = (protocols: string[]) =>
  z
    .string()
    .url()
    .refine((value) => protocols.includes(new URL(value).protocol), {
      message: `must use ${protocols.join(' or ')}`,
    });

const timeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be an IANA time zone such as UTC or Asia/Shanghai' },
);

/**
 * Express's `trust proxy`: false, true, a hop count, or a comma-separated list of addresses or subnets.
 */
const trustProxy = z
  .string()
  .regex(/^(true|false|\d+|[0-9a-fA-F.:/,\s a-z]+)$/, 'must be true, false, a hop count or a list of subnets')
  .transform((value): boolean | number | string => {
    if (value === 'true') return true;
    if (value === 'false') return false;
    if (/^\d+$/.test(value)) return Number(value);
    return value;
  });

/** Origins (`scheme://host[:port]`) separated by commas or spaces, as `URL.origin` spells them. */
const originList = z.string().transform((value, context) => {
  const origins: string[] = [];
  for (const entry of value.split(/[\s,]+/).filter(Boolean)) {
    let origin: string | null = null;
    try {
      const parsed = new URL(entry);
      if (['http:', 'https:'].includes(parsed.protocol) && parsed.origin === entry.replace(/\/$/, '')) {
        origin = parsed.origin;
      }
    } catch {
      // reported below
    }
    if (!origin) {
      context.addIssue({
        code: 'custom',
        message: `"${entry}" is not an origin such as https://app.example.com`,
      });
      return z.NEVER;
    }
    origins.push(origin);
  }
  return origins;
});

const positiveInteger = z.coerce.number().int().positive();

/** S3's multipart minimum: every part but the last must have at least this many bytes. */
export const S3_MIN_PART_BYTES = 5 * 1024 ** 2;

/** A bucket name as S3 allows it (3–63 lower-case letters, digits, dots and hyphens). */
const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name: 3–63 of a-z, 0-9, "." and "-"');

const environmentSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: url(['http:', 'https:']).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9:_-]{1,64}$/, 'letters, digits, ":", "_" and "-" only')
    .default('picvault:'),
  REQUIRE_REDIS: booleanFlag.default(false),
  WORKERS: z.coerce.number().int().min(1).max(256).default(availableParallelism()),
  SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  TIME_ZONE: timeZone.default('UTC'),
  TRUST_PROXY: trustProxy.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CORS_ORIGINS: originList.default([]),
  MAX_UPLOAD_BYTES: positiveInteger.default(10 * 1024 ** 3),
  DEFAULT_QUOTA_BYTES: z.coerce.number().int().min(0).optional(),
  IDLE_TIMEOUT_SECONDS: positiveInteger.default(60),
  LOGIN_ACCOUNT_LIMIT: positiveInteger.default(10),
  LOGIN_IP_LIMIT: positiveInteger.default(50),
  REGISTER_IP_LIMIT: positiveInteger.default(20),
  COUNT_LIMIT_PER_MINUTE: positiveInteger.default(30),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  MAIL_FROM: z.string().min(3).max(254).default('Picvault <no-reply@picvault.invalid>'),
  SM_ANONYMOUS: booleanFlag.default(true),
  SM_MAX_BYTES: positiveInteger.default(5 * 1024 ** 2),
  SM_MAX_PIXELS: positiveInteger.default(50_000_000),
  SM_UPLOADS_PER_MINUTE: positiveInteger.default(20),
  SM_UPLOADS_PER_DAY: positiveInteger.default(500),
  EMBEDDED_PG_PORT: port.default(0),
  STORAGE: z.enum(['local', 's3']).default('local'),
  S3_ENDPOINT: url(['http:', 'https:']).optional(),
  S3_BUCKET: bucketName.optional(),
  S3_REGION: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'must be a region name such as us-east-1')
    .default('us-east-1'),
  S3_ACCESS_KEY: z.string().min(1).optional(),
  S3_SECRET_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: booleanFlag.default(false),
  S3_PART_BYTES: positiveInteger
    .min(S3_MIN_PART_BYTES, `must be at least ${S3_MIN_PART_BYTES} (5 MiB)`)
    .default(8 * 1024 ** 2),
  S3_QUEUE_SIZE: positiveInteger.max(64).default(4),
  S3_PRESIGN: booleanFlag.default(false),
  S3_PRESIGN_SECONDS: positiveInteger.max(7 * 24 * 60 * 60).default(300),
  // For the fault suite: where the process kills itself (src/faults.ts). Never set it in production.
  FAULT_POINT: z
    .string()
    .regex(FAULT_POINT, 'an operation and a step, such as upload:before-commit')
    .optional(),
});

export type Environment = z.infer<typeof environmentSchema>;

/** Where blobs' bytes live: `local` (DATA_DIR/blobs) or `s3`. */
export type StorageKind = Environment['STORAGE'];

export interface Config extends Omit<Environment, 'PUBLIC_URL' | 'DEFAULT_QUOTA_BYTES'> {
  /** Base for every URL the API returns, without a trailing slash; null: each request's own origin. */
  PUBLIC_URL: string | null;
  /** Bytes a user may store unless their account says otherwise; null: unlimited. */
  DEFAULT_QUOTA_BYTES: number | null;
}

export class ConfigError extends Error {}

/** What an S3 client needs, complete: see `s3Settings`. */
export interface S3Settings {
  /** Unset: AWS's own endpoint for the region. */
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  /** Bytes per multipart part, each held in memory while it is sent. */
  partBytes: number;
  /** Parts sent at once: an upload holds at most this many parts in memory. */
  queueSize: number;
}

const invalid = (problems: string[]) => new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);

/**
 * The S3 settings, or a ConfigError naming every one that is missing: for STORAGE=s3 at start, and
 * for `storage:migrate` when either side is S3.
 */
export function s3Settings(
  config: Pick<
    Config,
    `S3_${'ENDPOINT' | 'BUCKET' | 'REGION' | 'ACCESS_KEY' | 'SECRET_KEY' | 'FORCE_PATH_STYLE' | 'PART_BYTES' | 'QUEUE_SIZE'}`
  >,
): S3Settings {
  const missing = (['S3_BUCKET', 'S3_ACCESS_KEY', 'S3_SECRET_KEY'] as const).filter((name) => !config[name]);
  if (missing.length) throw invalid(missing.map((name) => `${name}: required with STORAGE=s3`));
  return {
    endpoint: config.S3_ENDPOINT,
    bucket: config.S3_BUCKET!,
    region: config.S3_REGION,
    accessKeyId: config.S3_ACCESS_KEY!,
    secretAccessKey: config.S3_SECRET_KEY!,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    partBytes: config.S3_PART_BYTES,
    queueSize: config.S3_QUEUE_SIZE,
  };
}

/**
 * Reads the settings once. Nothing else in the program reads `process.env`.
 * An empty variable counts as unset, so `FOO=` in a shell falls back to the default.
 */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const present: Record<string, string> = Object.fromEntries(
    Object.keys(environmentSchema.shape)
      .map((key): [string, string | undefined] => [key, environment[key]])
      .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    throw invalid(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const settings = parsed.data;
  if (settings.REQUIRE_REDIS && !settings.REDIS_URL) {
    throw invalid(['REDIS_URL: required when REQUIRE_REDIS is set']);
  }
  if (settings.STORAGE === 's3') {
    s3Settings(settings);
    // Instances behind one balancer must sign alike, and one generated into DATA_DIR would be state.
    if (!settings.SECRET) throw invalid(['SECRET: required with STORAGE=s3, the same for every instance']);
  } else if (settings.S3_PRESIGN) {
    throw invalid(['S3_PRESIGN: only with STORAGE=s3']);
  }
  return {
    ...settings,
    PUBLIC_URL: settings.PUBLIC_URL?.replace(/\/+$/, '') ?? null,
    DEFAULT_QUOTA_BYTES: settings.DEFAULT_QUOTA_BYTES ?? null,
  };
}
