import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';

/** A file of random bytes that the benches send and fetch, with the md5 the servers must agree on. */
export interface SourceFile {
  path: string;
  size: number;
  md5: string;
}

/** Random bytes written once, 1 MiB at a time, hashed as they are written. */
export async function generateFile(file: string, size: number): Promise<SourceFile> {
  const md5 = createHash('md5');
  const handle = await open(file, 'wx');
  try {
    for (let written = 0; written < size;) {
      const chunk = randomBytes(Math.min(1 << 20, size - written));
      md5.update(chunk);
      await handle.write(chunk);
      written += chunk.length;
    }
  } finally {
    await handle.close();
  }
  return { path: file, size, md5: md5.digest('hex') };
}
