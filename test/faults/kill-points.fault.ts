import { randomBytes } from 'node:crypto';
import { withDatabase } from '../helpers/database';
import { DriveClient, driveSnapshot, md5, sha256 } from './drive-client';
import { ServerUnderTest } from './server-under-test';

/**
 * Each operation is cut by SIGKILL at each of its steps (src/faults.ts): after its bytes are stored,
 * before its transaction commits, after it commits. Restarted, the server must show the operation
 * all done (after the commit) or not at all (before it), lose nothing acknowledged before it, and
 * leave, once its start-up sweep has run, nothing the invariants forbid.
 */

/** What an operation is, prepared on a running server: how to run it, and the drive once it is done. */
interface PreparedOperation {
  run: () => Promise<unknown>;
  done: (before: string[]) => string[];
}

interface KillCase {
  operation: string;
  steps: string[];
  prepare: (n: number) => Promise<PreparedOperation>;
}

let server: ServerUnderTest;
let alice: DriveClient;
let bob: DriveClient;

const line = (user: DriveClient, kind: 'file' | 'folder', path: string, hash = '-') =>
  `${user.user.userName} ${kind} ${path} ${hash}`;
const sorted = (lines: string[]) => [...lines].sort();
/** Whether a snapshot line is `root`, or under it, in the drive of `user`. */
const within = (entry: string, user: DriveClient, root: string) => {
  const [owner, , path] = entry.split(' ');
  return owner === user.user.userName && (path === root || path.startsWith(`${root}/`));
};
/** The drive with `root` of `user`, and all it holds, moved to `to`. */
const relocated = (before: string[], user: DriveClient, root: string, to: string) =>
  sorted(
    before.map((entry) => {
      if (!within(entry, user, root)) return entry;
      const [owner, kind, path, hash] = entry.split(' ');
      return `${owner} ${kind} ${to}${path.slice(root.length)} ${hash}`;
    }),
  );

/** A folder with 3 002 descendants (two subfolders of 1 500 files), written straight into the tables. */
async function seedLargeTree(root: string): Promise<{ id: string }> {
  const folder = await alice.createFolder(root);
  await alice.upload(randomBytes(1000), 'seed.bin', root);
  // One statement: the tree and the blob's reference count commit together.
  await withDatabase(server.databaseUrl, (client) =>
    client.query(
      `WITH owner AS (SELECT owner_id, blob_id FROM nodes WHERE dir = $1 AND name = 'seed.bin'),
       folders AS (
         INSERT INTO nodes (owner_id, kind, dir, name)
         SELECT owner_id, 'folder', $1, 'part-' || p FROM owner, generate_series(1, 2) AS p),
       files AS (
         INSERT INTO nodes (owner_id, kind, dir, name, blob_id)
         SELECT owner_id, 'file', $1 || 'part-' || p || '/', 'f-' || i || '.bin', blob_id
           FROM owner, generate_series(1, 2) AS p, generate_series(1, 1500) AS i
         RETURNING blob_id)
       UPDATE blobs SET ref_count = ref_count + (SELECT count(*) FROM files)
        WHERE id = (SELECT blob_id FROM owner)`,
      [`${root}/`],
    ),
  );
  return folder;
}

const cases: KillCase[] = [
  {
    operation: 'upload of new content',
    steps: ['upload:stored', 'upload:before-commit', 'upload:after-commit'],
    prepare: async (n) => {
      const bytes = randomBytes(300_000);
      return {
        run: () => alice.upload(bytes, `new-${n}.bin`),
        done: (before) => sorted([...before, line(alice, 'file', `/new-${n}.bin`, sha256(bytes))]),
      };
    },
  },
  {
    operation: 'upload of content already kept',
    steps: ['upload:stored', 'upload:before-commit', 'upload:after-commit'],
    prepare: async (n) => {
      const bytes = randomBytes(100_000);
      await alice.upload(bytes, `kept-${n}.bin`);
      return {
        run: () => bob.upload(bytes, `again-${n}.bin`),
        done: (before) => sorted([...before, line(bob, 'file', `/again-${n}.bin`, sha256(bytes))]),
      };
    },
  },
  {
    operation: 'instant upload',
    steps: ['instant-upload:before-commit', 'instant-upload:after-commit'],
    prepare: async (n) => {
      const bytes = randomBytes(50_000);
      await alice.upload(bytes, `instant-${n}.bin`);
      return {
        run: () => alice.instantUpload(md5(bytes), `instant-${n}-copy.bin`),
        done: (before) => sorted([...before, line(alice, 'file', `/instant-${n}-copy.bin`, sha256(bytes))]),
      };
    },
  },
  {
    operation: 'save of a shared file',
    steps: ['save:before-commit', 'save:after-commit'],
    prepare: async (n) => {
      const bytes = randomBytes(60_000);
      const file = await bob.upload(bytes, `shared-${n}.bin`);
      const share = await bob.shareFile(file.id);
      await alice.createFolder(`/saved-${n}`);
      return {
        run: () => alice.saveSharedFile(share.id, `/saved-${n}`),
        done: (before) =>
          sorted([...before, line(alice, 'file', `/saved-${n}/shared-${n}.bin`, sha256(bytes))]),
      };
    },
  },
  {
    operation: 'delete of a folder',
    steps: ['delete:before-commit', 'delete:after-commit'],
    prepare: async (n) => {
      const folder = await alice.makeTree(`/doomed-${n}`);
      return {
        run: () => alice.deleteItems([folder.id]),
        done: (before) => before.filter((entry) => !within(entry, alice, `/doomed-${n}`)),
      };
    },
  },
  {
    operation: 'rename of a folder',
    steps: ['rename:before-commit', 'rename:after-commit'],
    prepare: async (n) => {
      const folder = await alice.makeTree(`/named-${n}`);
      return {
        run: () => alice.renameItem(folder.id, `renamed-${n}`),
        done: (before) => relocated(before, alice, `/named-${n}`, `/renamed-${n}`),
      };
    },
  },
  {
    operation: 'rename of a folder with 3 002 descendants',
    steps: ['rename:before-commit', 'rename:after-commit'],
    prepare: async (n) => {
      const folder = await seedLargeTree(`/large-${n}`);
      return {
        run: () => alice.renameItem(folder.id, `large-${n}-renamed`),
        done: (before) => relocated(before, alice, `/large-${n}`, `/large-${n}-renamed`),
      };
    },
  },
  {
    operation: 'move of a folder',
    steps: ['move:before-commit', 'move:after-commit'],
    prepare: async (n) => {
      const folder = await alice.makeTree(`/moving-${n}`);
      await alice.createFolder(`/target-${n}`);
      return {
        run: () => alice.moveItems([folder.id], `/target-${n}`),
        done: (before) => relocated(before, alice, `/moving-${n}`, `/target-${n}/moving-${n}`),
      };
    },
  },
];

beforeAll(async () => {
  server = await ServerUnderTest.create();
  await server.start();
  alice = await DriveClient.signUp(server);
  bob = await DriveClient.signUp(server);
  await alice.makeTree('/kept');
});

afterAll(async () => {
  await server?.remove();
});

let round = 0;
describe.each(cases)('SIGKILL during the $operation', ({ steps, prepare }) => {
  it.each(steps)('at %s: all or nothing, nothing acknowledged lost, nothing left over', async (step) => {
    round += 1;
    const operation = await prepare(round);
    const before = await driveSnapshot(server.databaseUrl);
    const { blobs } = await server.invariantsHold();
    expect(blobs).toBeGreaterThan(0);

    await server.stop();
    await server.start(step);
    await expect(operation.run()).rejects.toThrow();
    await server.crashed();
    await server.start();

    await server.invariantsHold();
    const after = await driveSnapshot(server.databaseUrl);
    expect(after).toEqual(step.endsWith(':after-commit') ? operation.done(before) : before);
  });
});
