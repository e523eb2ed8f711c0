/**
 * `npm run bench`: starts the built server as child processes against 127.0.0.1 only, measures, prints
 * one table, and removes everything it created. It reports budgets; it does not fail on them.
 */
import os from 'node:os';
import { Cleanups } from './cleanups';
import { netdiskFigures } from './netdisk.bench';
import { printTable, type Row } from './report';
import { requestFigures } from './requests.bench';
import { s3Figures } from './s3.bench';
import { sharingFigures } from './sharing.bench';
import { smmsFigures } from './smms.bench';
import { uploadFigures } from './upload.bench';

const WATCHDOG_MS = 30 * 60_000;

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function main(): Promise<void> {
  const cleanups = new Cleanups();
  const abort = (why: string, status: number) => {
    log(`${why}: cleaning up`);
    void cleanups.runAll().finally(() => process.exit(status));
  };
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));
  const watchdog = setTimeout(
    () => abort(`still running after ${WATCHDOG_MS / 60_000} minutes`, 1),
    WATCHDOG_MS,
  );

  // Other work on the machine moves every figure: the load average says how much there was.
  const loadBefore = os.loadavg()[0];
  const rows: Row[] = [];
  try {
    const only = process.env.BENCH_ONLY;
    if (!only || only === 'upload') rows.push(...(await uploadFigures(cleanups, log)));
    if (!only || only === 'sharing') rows.push(...(await sharingFigures(cleanups, log)));
    if (!only || only === 'netdisk') rows.push(...(await netdiskFigures(cleanups, log)));
    if (!only || only === 'smms') rows.push(...(await smmsFigures(cleanups, log)));
    if (!only || only === 'requests') rows.push(...(await requestFigures(cleanups, log)));
    if (!only || only === 's3') rows.push(...(await s3Figures(cleanups, log)));
  } finally {
    clearTimeout(watchdog);
    await cleanups.runAll();
  }
  const machine = `${os.cpus().length} CPUs, 1-minute load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after`;
  process.stdout.write(`\n${printTable(rows)}\n${machine}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
