import { randomBytes } from 'node:crypto';
import { encodeRgbPng } from '../test/helpers/images';

const WIDTH = 256;
/** Each row of 8-bit RGB: filter type 0, then three bytes a pixel. */
const ROW_BYTES = 1 + 3 * WIDTH;

/**
 * A valid 256-pixel-wide RGB PNG of about `bytes` bytes (from 1 kB up), whose pixels are random noise
 * so that deflate cannot shrink it, as a photo's would barely shrink; `serial` is written into its
 * first pixels, so images of different serials always differ, and so do their hashes.
 */
export function noisyPng(bytes: number, serial: number): Buffer {
  const height = Math.max(1, Math.round(bytes / ROW_BYTES));
  const pixels = randomBytes(ROW_BYTES * height);
  for (let row = 0; row < height; row += 1) pixels[row * ROW_BYTES] = 0;
  pixels.writeUInt32BE(serial >>> 0, 1);
  return encodeRgbPng(WIDTH, height, pixels);
}
