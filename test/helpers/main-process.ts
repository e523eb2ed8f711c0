import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');
/** The real entry point, as a user runs it: `node dist/main.js`, built by `npm test` before jest runs. */
export const ENTRY_POINT = 'dist/main.js';

export interface RunningMain {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** The tail of both streams, for a failure message. */
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `node dist/main.js` (or another built script, with its arguments) with a clean environment:
 * only PATH, HOME and the settings given.
 */
export function startMain(settings: Record<string, string>, command: string[] = [ENTRY_POINT]): RunningMain {
  const child = spawn(process.execPath, command, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? os.tmpdir(), ...settings },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    url: `http://127.0.0.1:${settings.PORT}`,
    stdout: () => stdout,
    stderr: () => stderr,
    output: () => `--- stdout ---\n${stdout.slice(-4000)}\n--- stderr ---\n${stderr.slice(-4000)}`,
    exited,
  };
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the exit, or with 'timeout' when the process is still running after `ms`. */
export async function exitWithin<Exit>(exited: Promise<Exit>, ms: number): Promise<Exit | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls GET /healthz until it answers 200; fails early, with the output, if the process exits. */
export async function waitUntilHealthy(main: RunningMain, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exit: { code: number | null } | undefined;
  void main.exited.then((result) => (exit = result));
  while (Date.now() < deadline && !exit) {
    const status = await fetch(`${main.url}/healthz`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await delay(250);
  }
  throw new Error(
    `${ENTRY_POINT} was not healthy ${exit ? `(it exited with ${exit.code})` : `within ${timeoutMs} ms`}\n${main.output()}`,
  );
}
