import { createHash, randomBytes } from 'node:crypto';
import type http from 'node:http';
import { startBaselineServer } from './baseline';
import type { Cleanups } from './cleanups';
import { assertAnswer, multipartWithBytes, postStream, type JsonResponse } from './http-client';
import { runLoad, type LoadResult } from './load';
import {
  createDatabase,
  graphql,
  graphqlUpload,
  redisPrefix,
  signUp,
  startPicvault,
  temporaryDirectory,
  withClient,
} from './picvault';
import { noisyPng } from './png';
import { servingCpuSeconds, type ChildServer } from './processes';
import { loadRow, section, type Row } from './report';

const IMAGE_BYTES = 200_000;
const UPLOADS = { count: 300, concurrency: 8, maxSeconds: 120 };
const WARM_UP = { count: 40, concurrency: 8, maxSeconds: 60 };
const UPLOAD_TIMEOUT_MS = 30_000;
/** Far above what the run sends: one client makes every upload, and its limits would measure themselves. */
const NO_LIMIT = '1000000';

/** One image to upload: its own bytes (no two alike: a repeat would store nothing), name and md5. */
interface Image {
  name: string;
  content: Buffer;
  md5: string;
  width: number;
  height: number;
}

/** An upload path: sends one image and returns the URL the answer gives it, throwing on a wrong answer. */
interface Door {
  figure: string;
  /** Which images it sends: `<label>-<n>.png`. */
  label: string;
  /** The process whose CPU time an upload costs. */
  server: ChildServer;
  send: (image: Image, agent: http.Agent) => Promise<string>;
}

/** Fresh images, numbered on from every image made before in the run, so that none repeats another. */
function imageMaker() {
  let serial = 0;
  return (label: string, count: number): Image[] =>
    Array.from({ length: count }, () => {
      serial += 1;
      const content = noisyPng(IMAGE_BYTES, serial);
      return {
        name: `${label}-${String(serial).padStart(5, '0')}.png`,
        content,
        md5: createHash('md5').update(content).digest('hex'),
        // From the IHDR chunk, which the server reads too.
        width: content.readUInt32BE(16),
        height: content.readUInt32BE(20),
      };
    });
}

/** A multipart request of one image in `field`, posted with the load's keep-alive agent. */
function postImage(
  url: string,
  headers: Record<string, string>,
  fields: Record<string, string>,
  field: string,
  image: Image,
  agent: http.Agent,
): Promise<JsonResponse> {
  const body = multipartWithBytes(fields, {
    field,
    filename: image.name,
    contentType: 'image/png',
    content: image.content,
  });
  return postStream(
    url,
    { ...headers, 'content-type': body.contentType },
    body.parts,
    body.length,
    UPLOAD_TIMEOUT_MS,
    agent,
  );
}

/** What every door says of a stored image: its size and the dimensions in its header. */
interface StoredImage {
  url: string;
  size: number;
  width: number;
  height: number;
}

const describes = (stored: StoredImage | null | undefined, image: Image) =>
  !!stored &&
  stored.size === image.content.length &&
  stored.width === image.width &&
  stored.height === image.height;

/** `/sm/api/upload` (v1, spec 004): anonymous, `{code: "success", data}`. */
const v1Upload = (server: ChildServer) => async (image: Image, agent: http.Agent) => {
  const answer = await postImage(`${server.url}/sm/api/upload`, {}, {}, 'smfile', image, agent);
  const body = answer.body as { code?: string; data?: StoredImage };
  assertAnswer(body.code === 'success' && describes(body.data, image), 'v1 upload', answer);
  return body.data!.url;
};

/** `/sm/api/v2/upload` with an API token; `image_repeated` fails too: each image is new. */
const v2Upload = (server: ChildServer, apiToken: string) => async (image: Image, agent: http.Agent) => {
  const answer = await postImage(
    `${server.url}/sm/api/v2/upload`,
    { authorization: apiToken },
    {},
    'smfile',
    image,
    agent,
  );
  const body = answer.body as { success?: boolean; code?: string; data?: StoredImage };
  assertAnswer(
    body.success === true && body.code === 'success' && describes(body.data, image),
    'v2 upload',
    answer,
  );
  return body.data!.url;
};

const UPLOAD_IMAGE = {
  field: 'uploadImage',
  query: `mutation ($input: UploadImageInput!) {
    uploadImage(input: $input) { image { url size width height } repeated userErrors { code message } }
  }`,
};

/** GraphQL `uploadImage`, the operation both doors run, with the session's bearer token. */
const graphqlImageUpload =
  (server: ChildServer, session: string) => async (image: Image, agent: http.Agent) => {
    const { answer, payload } = await graphqlUpload<{
      image: StoredImage | null;
      repeated: boolean;
      userErrors: unknown[];
    }>(server, session, UPLOAD_IMAGE, {}, image, agent);
    assertAnswer(
      !!payload && !payload.repeated && !payload.userErrors.length && describes(payload.image, image),
      'GraphQL uploadImage',
      answer,
    );
    return payload!.image!.url;
  };

const UPLOAD_FILE = {
  field: 'uploadFile',
  query: `mutation ($input: UploadFileInput!) {
    uploadFile(input: $input) { file { md5 size download { url } } userErrors { code message } }
  }`,
};

/** GraphQL `uploadFile`, the core's upload of any file, of the same kind of bytes: the reference. */
const graphqlFileUpload =
  (server: ChildServer, session: string) => async (image: Image, agent: http.Agent) => {
    const { answer, payload } = await graphqlUpload<{
      file: { md5: string; size: number; download: { url: string } } | null;
    }>(
      server,
      session,
      UPLOAD_FILE,
      { name: image.name, md5: image.md5, size: image.content.length },
      image,
      agent,
    );
    assertAnswer(
      payload?.file?.md5 === image.md5 && payload.file.size === image.content.length,
      'GraphQL uploadFile',
      answer,
    );
    return payload!.file!.download.url;
  };

/** The minimal hashing server's `/upload`: the body through md5 and sha256 into a file, fsynced. */
const baselineUpload = (baseline: ChildServer) => async (image: Image, agent: http.Agent) => {
  const answer = await postStream(
    `${baseline.url}/upload`,
    { 'content-type': 'image/png' },
    [image.content],
    image.content.length,
    UPLOAD_TIMEOUT_MS,
    agent,
  );
  assertAnswer((answer.body as { md5?: string }).md5 === image.md5, 'baseline upload', answer);
  return '';
};

/** An API token of the `upload` scope, made in GraphQL as a signed-in user makes one for an uploader. */
async function uploadToken(server: ChildServer, session: string): Promise<string> {
  const { createApiToken } = await graphql<{
    createApiToken: { token: string | null; userErrors: unknown[] };
  }>(
    server,
    `
      mutation ($input: CreateApiTokenInput!) {
        createApiToken(input: $input) {
          token
          userErrors {
            code
            message
          }
        }
      }
    `,
    { input: { name: 'bench', scope: 'UPLOAD' } },
    session,
  );
  if (!createApiToken.token) throw new Error(`createApiToken failed: ${JSON.stringify(createApiToken)}`);
  return createApiToken.token;
}

interface Measured {
  door: Door;
  load: LoadResult;
  /** Uploads that succeeded, warm-up included. */
  succeeded: number;
  failures: string[];
  cpuMsPerUpload: number;
  /** One image it stored and the URL it was given, to read back. */
  sample?: { url: string; image: Image };
}

/** `count` new images through `door`, `concurrency` at a time; every failure is counted and kept. */
async function uploads(
  door: Door,
  images: Image[],
  options: { count: number; concurrency: number; maxSeconds: number },
  onStored: (url: string, image: Image) => void = () => undefined,
): Promise<LoadResult> {
  return runLoad({
    ...options,
    send: async (index, agent) => onStored(await door.send(images[index], agent), images[index]),
  });
}

async function measure(door: Door, warmed: LoadResult, makeImages: ReturnType<typeof imageMaker>) {
  const images = makeImages(door.label, UPLOADS.count);
  let sample: Measured['sample'];
  const cpuBefore = await servingCpuSeconds(door.server.pid);
  const load = await uploads(door, images, UPLOADS, (url, image) => (sample ??= { url, image }));
  const cpu = (await servingCpuSeconds(door.server.pid)) - cpuBefore;
  const failures = [warmed, load]
    .filter((run) => run.failures)
    .map((run) => `${run.failures} failed, first: ${run.firstFailure ?? ''}`);
  return {
    door,
    load,
    succeeded: warmed.requests - warmed.failures + load.requests - load.failures,
    failures,
    cpuMsPerUpload: (1000 * cpu) / Math.max(1, load.requests),
    sample,
  } satisfies Measured;
}

/** Reads the stored image back from its URL: the door's answer must point at these very bytes. */
async function readBack(figure: string, sample: Measured['sample']): Promise<void> {
  if (!sample) throw new Error(`${figure}: no upload succeeded`);
  const response = await fetch(sample.url);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200 || !bytes.equals(sample.image.content)) {
    throw new Error(
      `${figure}: ${sample.url} answered ${response.status} with other bytes (${bytes.length})`,
    );
  }
}

/** The `image_uploads` rows the run made: the bench user's with and without a token, and the rest (anonymous). */
async function storedImages(databaseUrl: string, userName: string) {
  const { rows } = await withClient(databaseUrl, (client) =>
    client.query<{ anonymous: number; token: number; session: number }>(
      `SELECT count(*) FILTER (WHERE u.user_name <> $1)::int AS anonymous,
              count(*) FILTER (WHERE u.user_name = $1 AND i.api_token_id IS NOT NULL)::int AS token,
              count(*) FILTER (WHERE u.user_name = $1 AND i.api_token_id IS NULL)::int AS session
         FROM image_uploads i JOIN users u ON u.id = i.owner_id`,
      [userName],
    ),
  );
  return rows[0];
}

/** "93% of uploadImage": one rate as a share of another. */
const share = (load: LoadResult, of: LoadResult, name: string) =>
  `${((100 * load.perSecond) / of.perSecond).toFixed(0)}% of ${name}`;

/** Issue 12: uploads/s of a 200 KB PNG through the sm.ms doors v1 and v2, beside GraphQL `uploadImage`. */
export async function smmsFigures(cleanups: Cleanups, log: (line: string) => void): Promise<Row[]> {
  const makeImages = imageMaker();
  const size = makeImages('probe', 1)[0].content.length;
  const describe =
    `${UPLOADS.count} different ${(size / 1000).toFixed(1)} kB PNGs (256 px wide, noise) per path at c=${UPLOADS.concurrency}, ` +
    `after ${WARM_UP.count} to warm up; uploads/s`;
  const work = await temporaryDirectory(cleanups, 'smms');
  const baseline = await startBaselineServer('baseline server (sm.ms)', work, cleanups);
  const databaseUrl = await createDatabase(cleanups);
  const server = await startPicvault(
    'picvault (sm.ms)',
    {
      databaseUrl,
      redisPrefix: redisPrefix(cleanups),
      dataDir: await temporaryDirectory(cleanups, 'data'),
      env: {
        SM_UPLOADS_PER_MINUTE: NO_LIMIT,
        SM_UPLOADS_PER_DAY: NO_LIMIT,
        SM_MAX_BYTES: String(8 * IMAGE_BYTES),
      },
    },
    cleanups,
  );
  const userName = `bench_${randomBytes(4).toString('hex')}`;
  const session = await signUp(server, userName);
  const apiToken = await uploadToken(server, session);

  const doors = {
    v1: { figure: 'upload /sm/api/upload (v1, anonymous)', label: 'v1', server, send: v1Upload(server) },
    v2: {
      figure: 'upload /sm/api/v2/upload (v2, upload API token)',
      label: 'v2',
      server,
      send: v2Upload(server, apiToken),
    },
    image: {
      figure: 'GraphQL uploadImage (session token)',
      label: 'graphql-image',
      server,
      send: graphqlImageUpload(server, session),
    },
    file: {
      figure: '  GraphQL uploadFile, the same kind of PNG',
      label: 'graphql-file',
      server,
      send: graphqlFileUpload(server, session),
    },
    baseline: {
      figure: '  minimal hashing server, the same kind of PNG',
      label: 'baseline',
      server: baseline,
      send: baselineUpload(baseline),
    },
  } satisfies Record<string, Door>;

  // Every path warms up before any is measured, so none is measured while the server is still cold.
  const warmed = new Map<Door, LoadResult>();
  for (const door of Object.values(doors)) {
    log(`sm.ms warm-up: ${WARM_UP.count} uploads, ${door.figure.trim()}`);
    warmed.set(door, await uploads(door, makeImages(door.label, WARM_UP.count), WARM_UP));
  }
  const results = {} as Record<keyof typeof doors, Measured>;
  for (const [key, door] of Object.entries(doors) as [keyof typeof doors, Door][]) {
    log(`sm.ms: ${UPLOADS.count} uploads, ${door.figure.trim()}`);
    results[key] = await measure(door, warmed.get(door)!, makeImages);
  }
  await baseline.stop();

  const broken = Object.values(results).filter((result) => result.failures.length);
  if (broken.length) {
    throw new Error(
      `sm.ms uploads failed: ${broken.map((result) => `${result.door.figure.trim()}: ${result.failures.join('; ')}`).join(' | ')}`,
    );
  }
  for (const result of Object.values(results)) {
    if (result.door.server === server) await readBack(result.door.figure.trim(), result.sample);
  }
  const stored = await storedImages(databaseUrl, userName);
  await server.stop();

  const cpu = (result: Measured) => `server CPU ${result.cpuMsPerUpload.toFixed(1)} ms each`;
  const row = (result: Measured, reference: string) =>
    loadRow(result.door.figure, result.load, `${reference}; ${cpu(result)}`);
  const { v1, v2, image, file, baseline: bare } = results;
  const expected = { anonymous: v1.succeeded, token: v2.succeeded, session: image.succeeded };
  const agrees = (Object.keys(expected) as (keyof typeof expected)[]).every(
    (key) => stored[key] === expected[key],
  );
  return [
    section(`sm.ms: ${describe}`),
    row(v1, share(v1.load, image.load, 'uploadImage')),
    row(v2, share(v2.load, image.load, 'uploadImage')),
    row(image, share(image.load, bare.load, 'minimal hashing server')),
    row(file, share(file.load, bare.load, 'minimal hashing server')),
    loadRow(bare.door.figure, bare.load, `its CPU ${bare.cpuMsPerUpload.toFixed(1)} ms each`),
    {
      figure: 'images stored (image_uploads rows: v1, v2, uploadImage)',
      result: `${stored.anonymous}, ${stored.token}, ${stored.session}`,
      reference: 'one of each read back from its url: the same bytes',
      check: `${agrees ? 'PASS' : 'FAIL'} = ${expected.anonymous}, ${expected.token}, ${expected.session} uploads, warm-up included`,
    },
  ];
}
