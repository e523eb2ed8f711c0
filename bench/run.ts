/**
 * `npm run bench`: starts the built server as child processes against 127.0.0.1 only, measures, prints
 * one table, and removes everything it created. It reports budgets; it does not fail on them.
 */
import os from 'node:os';
import { withCleanups } from './cleanups';
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
  // Other work on the machine moves every figure: the load average says how much there was.
  const loadBefore = os.loadavg()[0];
  const rows = await withCleanups(WATCHDOG_MS, log, async (cleanups) => {
    const figures: Row[] = [];
    const only = process.env.BENCH_ONLY;
    if (!only || only === 'upload') figures.push(...(await uploadFigures(cleanups, log)));
    if (!only || only === 'sharing') figures.push(...(await sharingFigures(cleanups, log)));
    if (!only || only === 'netdisk') figures.push(...(await netdiskFigures(cleanups, log)));
    if (!only || only === 'smms') figures.push(...(await smmsFigures(cleanups, log)));
    if (!only || only === 'requests') figures.push(...(await requestFigures(cleanups, log)));
    if (!only || only === 's3') figures.push(...(await s3Figures(cleanups, log)));
    return figures;
  });
  const machine = `${os.cpus().length} CPUs, 1-minute load average ${loadBefore.toFixed(2)} before, ${os.loadavg()[0].toFixed(2)} after`;
  process.stdout.write(`\n${printTable(rows)}\n${machine}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
