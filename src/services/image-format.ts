import type { IngestedContent } from './ingest';
import { splitName } from './paths';

/** The image types the sm.ms doors take, by the extension a name must carry. SVG never: it can run script. */
const TYPE_OF_EXTENSION: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  bmp: 'image/bmp',
  webp: 'image/webp',
};

/** The lower-case extension of `name` when it is one of an accepted image type, else null. */
export function imageExtensionOf(name: string): string | null {
  const extension = splitName(name)[1].slice(1).toLowerCase();
  return extension in TYPE_OF_EXTENSION ? extension : null;
}

export function typeOfExtension(extension: string): string {
  return TYPE_OF_EXTENSION[extension];
}

const PNG_END = Buffer.from([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
const JPEG_END = Buffer.from([0xff, 0xd9]);

/**
 * Whether the bytes end where their format says an image ends: a PNG with its IEND chunk, a JPEG with
 * its end-of-image marker (cameras may pad after it), a GIF with its trailer, a WebP or BMP as long as
 * its header says. A file cut short, or an image header glued to something else, fails.
 */
export function endsAsImage(content: IngestedContent): boolean {
  const { tail } = content;
  switch (content.contentType) {
    case 'image/png':
      return tail.subarray(-PNG_END.length).equals(PNG_END);
    case 'image/jpeg':
      return tail.includes(JPEG_END);
    case 'image/gif':
      return tail.at(-1) === 0x3b;
    case 'image/webp':
      return content.declaredBytes === content.size;
    case 'image/bmp':
      // Some writers leave the field zero; a larger one means bytes are missing.
      return content.declaredBytes === 0 || content.declaredBytes === content.size;
    default:
      return false;
  }
}
