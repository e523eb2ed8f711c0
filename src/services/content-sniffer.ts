/** What the first bytes of a file say it is; only images get a specific type. */
export interface SniffedContent {
  contentType: string;
  width: number | null;
  height: number | null;
  /** The length the file says it has (WebP's RIFF size, BMP's file size), where its format says one. */
  declaredBytes?: number;
}

/** How many leading bytes the sniffer wants: enough for a JPEG's frame header after typical EXIF. */
export const SNIFF_BYTES = 256 * 1024;

const UNKNOWN: SniffedContent = { contentType: 'application/octet-stream', width: null, height: null };

const startsWith = (head: Buffer, signature: number[], offset = 0) =>
  head.length >= offset + signature.length && signature.every((byte, index) => head[offset + index] === byte);

function png(head: Buffer): SniffedContent | null {
  if (!startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return null;
  const hasHeader = head.length >= 24 && head.toString('latin1', 12, 16) === 'IHDR';
  return {
    contentType: 'image/png',
    width: hasHeader ? head.readUInt32BE(16) : null,
    height: hasHeader ? head.readUInt32BE(20) : null,
  };
}

function gif(head: Buffer): SniffedContent | null {
  const signature = head.toString('latin1', 0, 6);
  if (signature !== 'GIF87a' && signature !== 'GIF89a') return null;
  return {
    contentType: 'image/gif',
    width: head.length >= 10 ? head.readUInt16LE(6) : null,
    height: head.length >= 10 ? head.readUInt16LE(8) : null,
  };
}

function bmp(head: Buffer): SniffedContent | null {
  if (!startsWith(head, [0x42, 0x4d]) || head.length < 26) return null;
  // BITMAPINFOHEADER and later; a negative height means a top-down bitmap.
  if (head.readUInt32LE(14) < 40) return null;
  return {
    contentType: 'image/bmp',
    width: head.readInt32LE(18),
    height: Math.abs(head.readInt32LE(22)),
    declaredBytes: head.readUInt32LE(2),
  };
}

function webp(head: Buffer): SniffedContent | null {
  if (head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WEBP') return null;
  const chunk = head.toString('latin1', 12, 16);
  const size = (width: number | null, height: number | null) => ({
    contentType: 'image/webp',
    width,
    height,
    // RIFF counts what follows its size field, padded to an even length.
    declaredBytes: 8 + head.readUInt32LE(4) + (head.readUInt32LE(4) % 2),
  });
  if (chunk === 'VP8 ' && head.length >= 30)
    return size(head.readUInt16LE(26) & 0x3fff, head.readUInt16LE(28) & 0x3fff);
  if (chunk === 'VP8L' && head.length >= 25) {
    const bits = head.readUInt32LE(21);
    return size((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1);
  }
  if (chunk === 'VP8X' && head.length >= 30)
    return size(head.readUIntLE(24, 3) + 1, head.readUIntLE(27, 3) + 1);
  return size(null, null);
}

const JPEG_FRAME_MARKERS = new Set([
  0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf,
]);

function jpeg(head: Buffer): SniffedContent | null {
  if (!startsWith(head, [0xff, 0xd8, 0xff])) return null;
  let offset = 2;
  while (offset + 9 < head.length) {
    if (head[offset] !== 0xff) break;
    const marker = head[offset + 1];
    if (marker === 0xff) {
      offset += 1;
      continue;
    }
    const length = head.readUInt16BE(offset + 2);
    if (JPEG_FRAME_MARKERS.has(marker)) {
      return {
        contentType: 'image/jpeg',
        width: head.readUInt16BE(offset + 7),
        height: head.readUInt16BE(offset + 5),
      };
    }
    offset += 2 + length;
  }
  return { contentType: 'image/jpeg', width: null, height: null };
}

const SNIFFERS = [png, jpeg, gif, webp, bmp];

/** The columns are Postgres `int`: a header claiming more, or no pixel at all, is not believed. */
const MAX_DIMENSION = 0x7fffffff;
const plausible = (n: number | null) => n !== null && n >= 1 && n <= MAX_DIMENSION;

export function sniffContent(head: Buffer): SniffedContent {
  for (const sniff of SNIFFERS) {
    const found = sniff(head);
    if (!found) continue;
    return plausible(found.width) && plausible(found.height)
      ? found
      : { ...found, width: null, height: null };
  }
  return UNKNOWN;
}

/** Image types a browser may show inline; SVG is left out on purpose, as it can carry script. */
export const INLINE_IMAGE_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/bmp',
]);
