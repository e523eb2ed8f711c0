import type { AttemptLimiter } from '../cache/attempt-limiter';
import type { RequestContext } from '../context';
import { sha256Hex } from './credentials';

/** The public counters a client may add to. */
export type Counter = 'share-downloads' | 'file-downloads' | 'picture-views';

/**
 * How often one client may add to one counter of one object (COUNT_LIMIT_PER_MINUTE): each call still
 * adds exactly one, as spec 001 documents, but one client cannot move a ranking at will. Past the
 * limit a call answers as usual and counts nothing.
 */
export class CountLimiter {
  constructor(private readonly limiter: AttemptLimiter) {}

  allows(context: RequestContext, counter: Counter, objectId: string): Promise<boolean> {
    // A hash: neither the address nor the id reaches a Redis key as text.
    return this.limiter.take(sha256Hex(`${counter}\n${context.ip ?? ''}\n${objectId}`));
  }
}
