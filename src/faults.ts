/**
 * Fault injection, for the fault suite only (`npm run test:faults`). FAULT_POINT names a point at
 * which the process kills itself with SIGKILL, as `kill -9` or a power cut would, so that the suite
 * can prove that no step of an operation leaves it half done. Nothing happens unless it is set.
 */
let armed: string | null = null;

/** The points an operation passes: see `transactional` for `<operation>:before-commit|after-commit`. */
export const FAULT_POINT = /^[a-z-]+:[a-z-]+$/;

export function armFaultPoint(point: string | null): void {
  armed = point;
}

export function faultPoint(point: string): void {
  if (point === armed) process.kill(process.pid, 'SIGKILL');
}
