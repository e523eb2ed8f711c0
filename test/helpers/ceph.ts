import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The S3 settings `ceph-s3-start.sh` prints as `export` lines. */
const EXPORTED = ['S3_ENDPOINT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'S3_REGION', 'S3_FORCE_PATH_STYLE'];

/**
 * The shared scripts beside the repository (`../shared/scripts`, looked for above this file, which
 * the bench also runs compiled one level deeper), or where this workplace keeps them for a clone
 * made elsewhere.
 */
function scriptsFolder(): string | null {
  const candidates: string[] = [];
  for (let folder = __dirname; folder !== path.dirname(folder); folder = path.dirname(folder)) {
    candidates.push(path.join(folder, 'shared', 'scripts'));
  }
  candidates.push('/work/shared/scripts');
  return candidates.find((folder) => existsSync(path.join(folder, 'ceph-s3-start.sh'))) ?? null;
}

export interface RunningCeph {
  /** The settings to reach it, as the start script printed them. */
  env: Record<string, string>;
  stop: () => Promise<void>;
}

/**
 * Starts a fresh single-node Ceph RADOS Gateway in a temporary folder with the shared script (root
 * only; it installs Debian's packages on first use), for a run that was given no S3 to use.
 */
export async function startCeph(): Promise<RunningCeph> {
  const scripts = scriptsFolder();
  if (!scripts) {
    throw new Error('No S3 settings (S3_ENDPOINT, …) and no ../shared/scripts/ceph-s3-start.sh to start one');
  }
  const folder = await mkdtemp(path.join(os.tmpdir(), 'picvault-ceph-'));
  const dir = path.join(folder, 'ceph');
  const stop = async () => {
    await run('bash', [path.join(scripts, 'ceph-s3-stop.sh'), dir, '--wipe']).catch(() => undefined);
    await rm(folder, { recursive: true, force: true });
  };
  try {
    // Through bash: the shared folder may come without the files' execute bits.
    const { stdout } = await run('bash', [path.join(scripts, 'ceph-s3-start.sh'), dir], {
      env: { ...process.env, CEPH_RESET: '1' },
    });
    const env: Record<string, string> = {};
    for (const [, name, value] of stdout.matchAll(/^export (\w+)=(.*)$/gm)) {
      if (EXPORTED.includes(name)) env[name] = value;
    }
    return { env, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
