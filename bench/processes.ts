import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cleanups } from './cleanups';
import { requestJson } from './http-client';

export interface ChildServer {
  url: string;
  pid: number;
  /** Stops the process (SIGTERM, then SIGKILL after 15 s) and waits for it to exit. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts `node ...nodeArguments ...args` (the script among the node arguments): see startServer. */
export function startNodeServer(
  name: string,
  nodeArguments: string[],
  args: string[],
  env: Record<string, string>,
  port: number,
  readyPath: string,
  cleanups: Cleanups,
): Promise<ChildServer> {
  return startServer(name, process.execPath, [...nodeArguments, ...args], env, port, readyPath, cleanups);
}

/**
 * Starts `command ...args` and waits until `GET <readyPath>` answers 200. Its stdout is shown or
 * dropped as `stdout` says, its stderr kept (and shown if it dies early); the process is stopped by
 * the returned handle or by `cleanups`.
 */
export async function startServer(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string>,
  port: number,
  readyPath: string,
  cleanups: Cleanups,
  stdout: 'inherit' | 'ignore' = 'inherit',
): Promise<ChildServer> {
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', stdout, 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited(child);
      clearTimeout(killer);
    }
  };
  cleanups.add(`stop ${name}`, stop);

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited before it was ready:\n${stderr}`);
    }
    const ready = await requestJson(`${url}${readyPath}`, { timeoutMs: 1000 }).catch(() => null);
    if (ready?.status === 200) break;
    if (Date.now() > deadline)
      throw new Error(`${name} was not ready after ${READY_TIMEOUT_MS} ms:\n${stderr}`);
    await sleep(100);
  }
  return { url, pid: child.pid!, stop: () => cleanups.runNow(`stop ${name}`) };
}

/** Resident memory of a process, from `VmRSS` in /proc/<pid>/status. */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kilobytes = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!kilobytes) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kilobytes[1]) * 1024;
}

/** The processes `pid` started (a cluster primary's workers), from /proc/<pid>/task/<pid>/children. */
export async function workerPids(pid: number): Promise<number[]> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return children.split(' ').filter(Boolean).map(Number);
}

/** The processes that serve for `pid`: a cluster primary's workers, or the server itself without them. */
async function servingPids(pid: number): Promise<number[]> {
  const workers = await workerPids(pid);
  return workers.length ? workers : [pid];
}

/** The RSS of every process that serves: a cluster primary's workers, or the server itself without them. */
export async function servingRss(server: ChildServer): Promise<number[]> {
  return Promise.all((await servingPids(server.pid)).map(residentBytes));
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/** The RSS of the processes serving for `pid`, together. */
async function totalServingRss(pid: number): Promise<number> {
  return sum(await Promise.all((await servingPids(pid)).map(residentBytes)));
}

/** The CPU time of the processes serving for `pid` (all its workers, for a cluster), together. */
export async function servingCpuSeconds(pid: number): Promise<number> {
  return sum(await Promise.all((await servingPids(pid)).map(cpuSeconds)));
}

/**
 * Samples the RSS of the processes serving for `pid` (its workers, for a cluster: the primary only
 * hands out connections) every `intervalMs` while `work` runs; returns their RSS together before and
 * at its peak, and the CPU time they spent meanwhile (which, unlike wall time, other load barely moves).
 */
export async function withRssSampling<T>(
  pid: number,
  work: () => Promise<T>,
  intervalMs = 25,
): Promise<{ result: T; before: number; peak: number; cpuSeconds: number }> {
  const before = await totalServingRss(pid);
  const cpuBefore = await servingCpuSeconds(pid);
  let peak = before;
  const timer = setInterval(() => {
    totalServingRss(pid).then(
      (rss) => (peak = Math.max(peak, rss)),
      () => undefined,
    );
  }, intervalMs);
  try {
    const result = await work();
    peak = Math.max(peak, await totalServingRss(pid));
    return { result, before, peak, cpuSeconds: (await servingCpuSeconds(pid)) - cpuBefore };
  } finally {
    clearInterval(timer);
  }
}

/** User plus system CPU time of a process and all its threads, from /proc/<pid>/stat. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const CLOCK_TICKS_PER_SECOND = 100;
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}
