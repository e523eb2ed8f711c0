import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { startCeph } from '../test/helpers/ceph';
import { createTestBucket, removeTestBucket, s3Environment } from '../test/helpers/s3';
import type { Cleanups } from './cleanups';
import { bestPass, DOWNLOAD_REPEATS, REPEATS, timedDownload, type Pass } from './downloads';
import { assertAnswer, downloadClient } from './http-client';
import {
  createDatabase,
  redisPrefix,
  signUp,
  startPicvault,
  temporaryDirectory,
  withClient,
} from './picvault';
import { residentBytes, type ChildServer } from './processes';
import {
  belowCheck,
  formatMegabytes,
  formatRate,
  megabytesPerSecond,
  ratioCheck,
  section,
  type Row,
} from './report';
import { generateFile, type SourceFile } from './source-file';
import {
  bestOf,
  graphqlUpload,
  measuredUpload,
  RSS_GROWTH_LIMIT,
  timed,
  type UploadRun,
} from './upload.bench';

/** Ceph's RAM store holds about 2.4 times what it stores: a quarter of a GiB by default. */
const FILE_BYTES = Number(process.env.BENCH_S3_BYTES || 256 * 1024 ** 2);
/** The server's part size and queue: memory per upload is about PART_BYTES × (QUEUE + 1). */
const PART_BYTES = 8 * 1024 ** 2;
const QUEUE = 4;

/** A plain PutObject of the file, streamed from disk with its length: the SDK at its simplest. */
async function sdkPut(client: S3Client, bucket: string, source: SourceFile): Promise<number> {
  const Key = `put-${randomBytes(4).toString('hex')}`;
  const Body = createReadStream(source.path, { highWaterMark: 1 << 20 });
  const { seconds } = await timed(() =>
    client.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ContentLength: source.size })),
  );
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  return megabytesPerSecond(source.size, seconds);
}

/** lib-storage's multipart Upload with the server's part size and queue: what Picvault does, bare. */
async function sdkMultipart(client: S3Client, bucket: string, source: SourceFile): Promise<number> {
  const Key = `multipart-${randomBytes(4).toString('hex')}`;
  const Body = createReadStream(source.path, { highWaterMark: 1 << 20 });
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key, Body },
    partSize: PART_BYTES,
    queueSize: QUEUE,
  });
  const { seconds } = await timed(() => upload.done());
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  return megabytesPerSecond(source.size, seconds);
}

/** GetObject of the same bytes, read to nowhere in this process. */
async function sdkGet(client: S3Client, bucket: string, key: string, size: number): Promise<Pass> {
  const before = process.cpuUsage();
  const { result: bytes, seconds } = await timed(async () => {
    const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    let read = 0;
    for await (const chunk of answer.Body as Readable) read += (chunk as Buffer).length;
    return read;
  });
  if (bytes !== size) throw new Error(`GetObject gave ${bytes} bytes, not ${size}`);
  const used = process.cpuUsage(before);
  return { rate: megabytesPerSecond(size, seconds), cpuSeconds: (used.user + used.system) / 1e6 };
}

/** Uploads `source` through GraphQL and returns the run and the signed download URL of the file. */
async function picvaultUpload(
  server: ChildServer,
  token: string,
  source: SourceFile,
  name: string,
): Promise<{ run: UploadRun; url: string }> {
  const run = await measuredUpload(server, () => graphqlUpload(server, token, source, name));
  const file = (
    run.answer.body as { data?: { uploadFile?: { file: { md5: string; download: { url: string } } | null } } }
  ).data?.uploadFile?.file;
  assertAnswer(file?.md5 === source.md5, 'GraphQL uploadFile with STORAGE=s3', run.answer);
  return { run, url: file!.download.url };
}

/**
 * Issue 14: bytes in and out of Picvault with STORAGE=s3, against the SDK's own PutObject, multipart
 * Upload and GetObject of the same bytes from this process, on the same S3 (the S3_* settings, or a
 * Ceph RGW started for the run). The server runs one worker, so its RSS and CPU are one process's.
 */
export async function s3Figures(cleanups: Cleanups, log: (line: string) => void): Promise<Row[]> {
  if (!process.env.S3_ENDPOINT) {
    log('no S3_ENDPOINT: starting a Ceph RADOS Gateway for the run');
    const ceph = await startCeph();
    cleanups.add('stop ceph', () => ceph.stop());
    Object.assign(process.env, ceph.env);
  }
  const { bucket, client } = await createTestBucket('bench');
  cleanups.add(`remove bucket ${bucket}`, () => removeTestBucket(client, bucket));

  const work = await temporaryDirectory(cleanups, 's3');
  log(`generating ${formatMegabytes(FILE_BYTES)} and ${formatMegabytes(FILE_BYTES / 4)} of random bytes`);
  const source = await generateFile(path.join(work, 'big.bin'), FILE_BYTES);
  const quarter = await generateFile(path.join(work, 'quarter.bin'), FILE_BYTES / 4);

  const dataDir = await temporaryDirectory(cleanups, 's3-data');
  const databaseUrl = await createDatabase(cleanups);
  const server = await startPicvault(
    'picvault (STORAGE=s3)',
    {
      databaseUrl,
      redisPrefix: redisPrefix(cleanups),
      dataDir,
      env: {
        ...s3Environment(),
        STORAGE: 's3',
        S3_BUCKET: bucket,
        S3_PART_BYTES: String(PART_BYTES),
        S3_QUEUE_SIZE: String(QUEUE),
        SECRET: randomBytes(32).toString('hex'),
        WORKERS: '1',
      },
    },
    cleanups,
  );
  const token = await signUp(server, `bench_${randomBytes(4).toString('hex')}`);

  // Memory against the idle server's: a file a quarter the size first, while the server is cold.
  const idle = await residentBytes(server.pid);
  const smaller = await picvaultUpload(server, token, quarter, 'quarter.bin');
  const uploads: UploadRun[] = [];
  const [put, multipart]: number[][] = [[], []];
  let url = '';
  for (let round = 1; round <= REPEATS; round += 1) {
    log(`S3 upload round ${round} of ${REPEATS}: Picvault, PutObject, multipart Upload`);
    const uploaded = await picvaultUpload(server, token, source, `s3-${round}.bin`);
    uploads.push(uploaded.run);
    url = uploaded.url;
    put.push(await sdkPut(client, bucket, source));
    multipart.push(await sdkMultipart(client, bucket, source));
  }
  const peakGrowth = (run: UploadRun) => run.rssGrowth + run.rssBefore - idle;

  // The stored object of the uploads (the same bytes each time: one blob), for the SDK to read.
  const { rows } = await withClient(databaseUrl, (db) =>
    db.query<{ storage_key: string }>(`SELECT storage_key FROM blobs WHERE md5 = $1`, [source.md5]),
  );
  const key = rows[0].storage_key;
  const downloads: Pass[] = [];
  const gets: Pass[] = [];
  const curl = downloadClient();
  for (let round = 1; round <= DOWNLOAD_REPEATS; round += 1) {
    log(`S3 download round ${round} of ${DOWNLOAD_REPEATS}: Picvault (${curl.name}), GetObject`);
    downloads.push(await timedDownload(curl, url, server.pid, source.size));
    gets.push(await sdkGet(client, bucket, key, source.size));
  }

  const best = bestOf(uploads);
  const uploadRate = megabytesPerSecond(source.size, best.seconds);
  const [putRate, multipartRate] = [Math.max(...put), Math.max(...multipart)];
  const [download, get] = [bestPass(downloads), bestPass(gets)];
  return [
    section(`S3 (STORAGE=s3, ${process.env.S3_ENDPOINT}): one ${formatMegabytes(FILE_BYTES)} random file`),
    {
      figure: 'upload GraphQL uploadFile to S3',
      result: formatRate(uploadRate),
      reference: `SDK PutObject ${formatRate(putRate)}`,
      check: ratioCheck(uploadRate, putRate, 0.7),
    },
    {
      figure: '  SDK multipart Upload, same parts and queue',
      result: formatRate(multipartRate),
      reference: `Picvault ${((100 * uploadRate) / multipartRate).toFixed(0)}% of it`,
    },
    {
      figure: `  peak RSS over the idle server's (${formatMegabytes(FILE_BYTES)})`,
      result: formatMegabytes(Math.max(...uploads.map(peakGrowth))),
      reference: `parts ${formatMegabytes(PART_BYTES)} × (queue ${QUEUE} + 1)`,
      check: belowCheck(Math.max(...uploads.map(peakGrowth)), RSS_GROWTH_LIMIT),
    },
    {
      figure: `  the same for a file a quarter the size (${formatMegabytes(quarter.size)})`,
      result: formatMegabytes(peakGrowth(smaller.run)),
      reference: 'uploaded first: memory does not follow the size',
    },
    { figure: '  server CPU time during it', result: `${best.cpuSeconds.toFixed(1)} s` },
    {
      figure: `download /files/<id>/<name> from S3 (${curl.name})`,
      result: formatRate(download.rate),
      reference: `SDK GetObject ${formatRate(get.rate)}`,
      check: ratioCheck(download.rate, get.rate, 0.7),
    },
    {
      figure: '  server CPU time per download',
      result: `${download.cpuSeconds.toFixed(2)} s`,
      reference: `GetObject in this process ${get.cpuSeconds.toFixed(2)} s`,
    },
  ];
}
