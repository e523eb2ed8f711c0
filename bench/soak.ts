/**
 * `npm run soak`: the built server under a mixed load of uploads, lists, shares, downloads, counts and
 * deletes at 100 connections for SOAK_SECONDS (600 by default). Fails (exit 1) on any failed request,
 * on memory that keeps growing (soak-memory.ts), or on a broken invariant once the server has stopped.
 */
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalBlobStore } from '../src/storage/local.storage';
import { checkInvariants, type InvariantReport } from '../test/helpers/invariants';
import { withCleanups, type Cleanups } from './cleanups';
import { imageHostAccount, uploadSharedPicture, type ImageHostAccount, type SharedPicture } from './fixtures';
import { createDatabase, redisPrefix, startPicvault, temporaryDirectory } from './picvault';
import { noisyPng } from './png';
import { formatMegabytes, printTable, section, type Row } from './report';
import { runMix, type SoakLoad } from './soak-load';
import { judgeMemory, RssSampler, WARM_UP_SHARE, type MemoryVerdict } from './soak-memory';
import type { Connection } from './soak-operations';
import type { ChildServer } from './processes';

const SECONDS = Number(process.env.SOAK_SECONDS) || 600;
const CONNECTIONS = 100;
const ACCOUNTS = 5;
const SEED_PICTURES_PER_ACCOUNT = 2;
/** Contents uploaded again and again: the server stores each once and counts its references. */
const REPEATED_PICTURES = 32;
const SETTLE_MS = 2_000;
/** The run's own length plus starting, seeding, stopping and reading every stored byte back. */
const WATCHDOG_MS = SECONDS * 1000 + 10 * 60_000;
/** An owner no process holds: the invariants only read through the store. */
const NO_PROCESS = 'ffffffffffffffff';

const log = (line: string) => process.stderr.write(`[soak] ${line}\n`);

/** A small picture, 2 to 20 kB: half of them new content, half repeats. */
function pictureMaker(repeats: Buffer[]): (serial: number) => Buffer {
  return (serial) =>
    randomInt(2) ? noisyPng(randomInt(2_000, 20_000), serial) : repeats[randomInt(repeats.length)];
}

async function seed(server: ChildServer) {
  const accounts: ImageHostAccount[] = [];
  const seeds: SharedPicture[] = [];
  for (let index = 0; index < ACCOUNTS; index += 1) {
    const account = await imageHostAccount(server, `soak_user_${index}`);
    accounts.push(account);
    for (let picture = 0; picture < SEED_PICTURES_PER_ACCOUNT; picture += 1) {
      const name = `seed-${index}-${picture}.png`;
      const content = noisyPng(randomInt(2_000, 20_000), index * SEED_PICTURES_PER_ACCOUNT + picture);
      seeds.push(await uploadSharedPicture(server, account.session, { name, content }));
    }
  }
  return { accounts, seeds };
}

const milliseconds = (value: number) => value.toFixed(1);

function loadRows(load: SoakLoad): Row[] {
  return [
    section(`soak: ${CONNECTIONS} connections, keep-alive, ${load.seconds.toFixed(0)} s`),
    ...load.kinds.map((kind) => ({
      figure: kind.kind,
      result: `${kind.requests} requests, ${kind.errors} errors`,
      latency: `p50 ${milliseconds(kind.p50Ms)} / p99 ${milliseconds(kind.p99Ms)} ms`,
      check: kind.errors ? 'FAIL' : 'PASS',
    })),
    {
      figure: 'all',
      result: `${load.requests} requests, ${(load.requests / load.seconds).toFixed(0)} req/s, ${load.errors} errors`,
      check: load.errors ? 'FAIL no errors' : 'PASS no errors',
    },
  ];
}

function memoryRows(memory: MemoryVerdict): Row[] {
  return [
    section('server RSS (primary and workers), sampled every second'),
    { figure: 'RSS at start (seeded, idle)', result: formatMegabytes(memory.start) },
    { figure: `RSS after warm-up (${WARM_UP_SHARE * 100}%)`, result: formatMegabytes(memory.afterWarmUp) },
    { figure: 'RSS at end', result: formatMegabytes(memory.end) },
    { figure: 'RSS max', result: formatMegabytes(memory.max) },
    {
      figure: 'RSS peak of each tenth of the run',
      result: memory.tenths.map((bytes) => (bytes / 1e6).toFixed(0)).join(' ') + ' MB',
    },
    {
      figure: 'RSS peak, 2nd quarter → last quarter',
      result: `${formatMegabytes(memory.secondQuarterMax)} → ${formatMegabytes(memory.lastQuarterMax)}`,
      check: `${memory.grew ? 'FAIL' : 'PASS'} ≤ ${formatMegabytes(memory.limit)} (+20% + 30 MB)`,
    },
  ];
}

function invariantRows(report: InvariantReport): Row[] {
  return [
    section('invariants, after SIGTERM'),
    {
      figure: 'database and store',
      result: report.violations.length
        ? report.violations.join('; ')
        : `OK: ${report.blobs} blobs, ${report.nodes} nodes`,
      check: report.violations.length ? 'FAIL' : 'PASS',
    },
  ];
}

async function soak(cleanups: Cleanups): Promise<boolean> {
  const dataDir = await temporaryDirectory(cleanups, 'soak');
  const databaseUrl = await createDatabase(cleanups);
  const server = await startPicvault(
    'picvault (soak)',
    { databaseUrl, redisPrefix: redisPrefix(cleanups), dataDir },
    cleanups,
  );
  const { accounts, seeds } = await seed(server);
  const repeats = Array.from({ length: REPEATED_PICTURES }, (_, serial) =>
    noisyPng(randomInt(2_000, 20_000), 1_000_000 + serial),
  );
  const picture = pictureMaker(repeats);
  let serial = 2_000_000;

  log(`${CONNECTIONS} connections for ${SECONDS} s`);
  const sampler = new RssSampler(server);
  await sampler.start();
  const load = await runMix(CONNECTIONS, SECONDS, (index, agent): Connection => ({
    server,
    agent,
    account: accounts[index % accounts.length],
    seeds,
    ownFiles: [],
    nextName: () => `c${index}-${(serial += 1)}.png`,
    nextContent: () => picture((serial += 1)),
  }));
  const memory = judgeMemory(await sampler.stop(), SECONDS);

  log('settling, then stopping the server (SIGTERM) and checking the invariants');
  await sleep(SETTLE_MS);
  await server.stop();
  const invariants = await checkInvariants(
    databaseUrl,
    new LocalBlobStore(path.join(dataDir, 'blobs'), NO_PROCESS),
  );

  process.stdout.write(
    `\n${printTable([...loadRows(load), ...memoryRows(memory), ...invariantRows(invariants)])}\n`,
  );
  if (load.firstErrors.length) process.stdout.write(`\nfirst errors:\n${load.firstErrors.join('\n')}\n`);
  return load.errors === 0 && !memory.grew && invariants.violations.length === 0;
}

async function main(): Promise<void> {
  const passed = await withCleanups(WATCHDOG_MS, log, soak);
  log(passed ? 'PASS' : 'FAIL');
  process.exitCode = passed ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`[soak] failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
