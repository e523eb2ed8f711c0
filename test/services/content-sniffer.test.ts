import { INLINE_IMAGE_TYPES, sniffContent } from '../../src/services/content-sniffer';
import { tinyPng } from '../helpers/images';

const bytes = (...parts: (number[] | string | Buffer)[]) =>
  Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))),
  );
const u16le = (n: number) => [n & 0xff, n >> 8];
const u16be = (n: number) => [n >> 8, n & 0xff];
const u24le = (n: number) => [n & 0xff, (n >> 8) & 0xff, n >> 16];
const u32le = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];

describe('sniffContent', () => {
  it('reads a PNG’s type and size from its IHDR chunk', () => {
    expect(sniffContent(tinyPng(3, 2))).toEqual({ contentType: 'image/png', width: 3, height: 2 });
  });

  it('knows a PNG cut short before IHDR, without a size', () => {
    expect(sniffContent(tinyPng(3, 2).subarray(0, 12))).toEqual({
      contentType: 'image/png',
      width: null,
      height: null,
    });
  });

  it('gives no size for a PNG whose header claims dimensions no database column can hold', () => {
    const png = tinyPng(1, 1);
    png.writeUInt32BE(0xffffffff, 16);
    expect(sniffContent(png)).toEqual({ contentType: 'image/png', width: null, height: null });
  });

  it('finds a JPEG’s frame header after an EXIF segment', () => {
    const exif = bytes([0xff, 0xe1], u16be(2 + 10), 'Exif\0\0abcd');
    const frame = bytes([0xff, 0xc0], u16be(17), [8], u16be(480), u16be(640), [3], new Array(9).fill(0));
    const jpeg = bytes([0xff, 0xd8], exif, frame, [0xff, 0xd9]);
    expect(sniffContent(jpeg)).toEqual({ contentType: 'image/jpeg', width: 640, height: 480 });
  });

  it('reads a progressive JPEG (SOF2) and pads between markers', () => {
    const frame = bytes([0xff, 0xff, 0xc2], u16be(17), [8], u16be(10), u16be(20), [3], new Array(9).fill(0));
    expect(sniffContent(bytes([0xff, 0xd8], frame))).toEqual({
      contentType: 'image/jpeg',
      width: 20,
      height: 10,
    });
  });

  it('knows a JPEG whose frame header is not in the first bytes, without a size', () => {
    expect(sniffContent(bytes([0xff, 0xd8, 0xff, 0xe0], u16be(16), 'JFIF\0', new Array(9).fill(0)))).toEqual({
      contentType: 'image/jpeg',
      width: null,
      height: null,
    });
  });

  it.each(['GIF87a', 'GIF89a'])('reads a %s header', (signature) => {
    expect(sniffContent(bytes(signature, u16le(300), u16le(200), [0, 0, 0]))).toEqual({
      contentType: 'image/gif',
      width: 300,
      height: 200,
    });
  });

  it('reads a lossy (VP8) WebP', () => {
    const webp = bytes(
      'RIFF',
      u32le(30),
      'WEBPVP8 ',
      u32le(18),
      [0, 0, 0, 0x9d, 0x01, 0x2a],
      u16le(64),
      u16le(48),
    );
    expect(sniffContent(webp)).toEqual({
      contentType: 'image/webp',
      width: 64,
      height: 48,
      declaredBytes: 38,
    });
  });

  it('reads a lossless (VP8L) WebP', () => {
    const bits = (100 - 1) | ((50 - 1) << 14);
    const webp = bytes('RIFF', u32le(30), 'WEBPVP8L', u32le(10), [0x2f], u32le(bits));
    expect(sniffContent(webp)).toEqual({
      contentType: 'image/webp',
      width: 100,
      height: 50,
      declaredBytes: 38,
    });
  });

  it('reads an extended (VP8X) WebP', () => {
    const webp = bytes(
      'RIFF',
      u32le(30),
      'WEBPVP8X',
      u32le(10),
      [0, 0, 0, 0],
      u24le(4000 - 1),
      u24le(3000 - 1),
    );
    expect(sniffContent(webp)).toEqual({
      contentType: 'image/webp',
      width: 4000,
      height: 3000,
      declaredBytes: 38,
    });
  });

  it('reads a BMP, bottom-up or top-down', () => {
    const bmp = (height: number) =>
      bytes('BM', u32le(90), u32le(0), u32le(54), u32le(40), u32le(12), u32le(height >>> 0), [1, 0, 24, 0]);
    // The file's own length field, which the sm.ms doors check against the bytes.
    const read = { contentType: 'image/bmp', width: 12, height: 7, declaredBytes: 90 };
    expect(sniffContent(bmp(7))).toEqual(read);
    expect(sniffContent(bmp(-7))).toEqual(read);
  });

  it.each([
    ['an empty file', Buffer.alloc(0)],
    ['text', Buffer.from('hello, world')],
    ['an SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')],
    ['HTML', Buffer.from('<!doctype html><script>alert(1)</script>')],
    ['"BM" text', Buffer.from('BM is not a bitmap')],
    ['a RIFF that is not WebP', bytes('RIFF', u32le(4), 'WAVEfmt ')],
  ])('calls %s application/octet-stream with no size', (_label, head) => {
    expect(sniffContent(head)).toEqual({
      contentType: 'application/octet-stream',
      width: null,
      height: null,
    });
  });

  it('shows only raster images inline, never SVG', () => {
    expect([...INLINE_IMAGE_TYPES].sort()).toEqual([
      'image/bmp',
      'image/gif',
      'image/jpeg',
      'image/png',
      'image/webp',
    ]);
  });
});
