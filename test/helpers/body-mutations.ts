import fc from 'fast-check';

/** One change to a request body, as a broken client or a hostile one would make it. */
export type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'append'; bytes: Uint8Array };

/** Mutations anywhere in a body; inserted bytes are random or one of `tokens` (boundaries, say). */
export function mutationArb(tokens: string[]): fc.Arbitrary<Mutation> {
  const inserted = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 8 }),
    fc.constantFrom(...tokens, '\r\n', '\r\n\r\n', '--', '"', '\u0000').map((text) => Buffer.from(text)),
  );
  return fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.nat({ max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: inserted }),
    fc.record({
      kind: fc.constant('delete' as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 40 }),
    }),
    fc.record({
      kind: fc.constant('duplicate' as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 300 }),
    }),
    fc.record({ kind: fc.constant('append' as const), bytes: inserted }),
  );
}

/** `body` with `mutation` applied; positions wrap around the body's length. */
export function mutate(body: Buffer, mutation: Mutation): Buffer {
  const at = 'at' in mutation ? mutation.at % (body.length + 1) : body.length;
  switch (mutation.kind) {
    case 'truncate':
      return body.subarray(0, at);
    case 'set': {
      if (at === body.length) return body;
      const copy = Buffer.from(body);
      copy[at] = mutation.byte;
      return copy;
    }
    case 'insert':
    case 'append':
      return Buffer.concat([body.subarray(0, at), mutation.bytes, body.subarray(at)]);
    case 'delete':
      return Buffer.concat([body.subarray(0, at), body.subarray(at + mutation.length)]);
    case 'duplicate':
      return Buffer.concat([body.subarray(0, at + mutation.length), body.subarray(at)]);
  }
}
