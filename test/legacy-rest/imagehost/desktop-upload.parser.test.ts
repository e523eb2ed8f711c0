import { randomBytes } from 'node:crypto';
import { DesktopUploadBody } from '../../../src/legacy-rest/imagehost/desktop-upload.parser';

const BOUNDARY = '------WebKitFormBoundarynHRBTfOUv<p3Tewg';

function body(content: Buffer, ending: string): Buffer {
  return Buffer.concat([
    Buffer.from(
      `${BOUNDARY}\r\nContent-Disposition: form-data; user="qingfu" filename="main.cpp" ` +
        `md5="5f2a390a60cb3d51355469fea61efa0b" size=${content.length}\r\n` +
        `Content-Type: application/octet-stream\r\n\r\n`,
      'latin1',
    ),
    content,
    Buffer.from(`\r\n${BOUNDARY}${ending}`, 'latin1'),
  ]);
}

/** Feeds `bytes` to a fresh parser in pieces of the given sizes (cycled) and collects what it passes on. */
async function parseInPieces(bytes: Buffer, sizes: number[]): Promise<Buffer> {
  const parser = new DesktopUploadBody();
  const out: Buffer[] = [];
  parser.on('data', (piece: Buffer) => out.push(piece));
  const done = new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
  });
  for (let offset = 0, index = 0; offset < bytes.length; index += 1) {
    const size = sizes[index % sizes.length];
    parser.write(bytes.subarray(offset, offset + size));
    offset += size;
  }
  parser.end();
  await done;
  return Buffer.concat(out);
}

describe('the desktop (format A) upload parser', () => {
  // Content that holds near-misses of the boundary, so a boundary matcher that slips would show.
  const content = Buffer.concat([
    Buffer.from(`\r\n${BOUNDARY.slice(0, -1)}x\r\n----`, 'latin1'),
    randomBytes(3000),
    Buffer.from(`\r\n${BOUNDARY.slice(0, 20)}`, 'latin1'),
  ]);

  it.each(['', '--', '\r\n', '--\r\n'])(
    'passes on exactly the file bytes for the ending %j',
    async (ending) => {
      expect((await parseInPieces(body(content, ending), [1 << 20])).equals(content)).toBe(true);
    },
  );

  it('finds the boundary however the body is cut into chunks', async () => {
    const whole = body(content, '');
    for (let size = 1; size <= 45; size += 1) {
      expect((await parseInPieces(whole, [size])).equals(content)).toBe(true);
    }
    for (let split = 3100; split < whole.length; split += 1) {
      expect((await parseInPieces(whole, [split, whole.length])).equals(content)).toBe(true);
    }
  });

  it('fails when the closing boundary never comes', async () => {
    const whole = body(content, '').subarray(0, -5);
    await expect(parseInPieces(whole, [64])).rejects.toThrow('The closing boundary never came');
  });
});
