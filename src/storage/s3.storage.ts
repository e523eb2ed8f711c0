import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3Client,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Settings } from '../config';
import {
  MissingObjectError,
  type AbandonedWrite,
  type BlobStore,
  type ByteRange,
  type StoredObject,
} from './blob-store';
import { checkedKey, isStorageKey, newPermanentKey, newTemporaryKey } from './keys';

/** CopyObject copies at most 5 GiB; larger objects are copied part by part. */
const SINGLE_COPY_LIMIT = 5 * 1024 ** 3;
const COPY_PART_BYTES = 512 * 1024 ** 2;
/** Part copies in flight at once: each is a request the store serves on its own. */
const COPIES_IN_FLIGHT = 4;

export interface S3StoreLimits {
  /** Objects larger than this are copied with UploadPartCopy rather than CopyObject. */
  singleCopyBytes: number;
  copyPartBytes: number;
}

/** How a presigned download must be labelled: S3 answers with these instead of what it stored. */
export interface DownloadLabels {
  contentType: string;
  contentDisposition: string;
  cacheControl: string;
}

/** An S3 client as every S3-compatible server takes it. */
export function createS3Client(settings: S3Settings): S3Client {
  return new S3Client({
    endpoint: settings.endpoint,
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    // The SDK's default sends streamed bodies `aws-chunked` with trailing checksums, which Ceph RGW
    // and other S3 servers refuse; TLS and S3's own MD5 of each part already guard the bytes.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** The "no such object" answers: NoSuchKey to a GET, a bare 404 (NotFound) to a HEAD. */
export function isMissingObject(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'NoSuchKey' || name === 'NotFound';
}

/**
 * Objects in an S3 bucket under the same keys as on disk: `tmp/<owner>-<uuid>` while an upload is
 * not yet kept, `blobs/<xx>/<owner>-<uuid>` once it is. An upload streams into a multipart upload of fixed-size parts,
 * a few in flight, so its memory is `partBytes × (queueSize + 1)` whatever the file's size; a failed
 * or cut upload aborts its multipart upload, and the sweeper aborts any a crash left behind.
 */
export class S3BlobStore implements BlobStore {
  readonly location: string;
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(
    private readonly settings: S3Settings,
    /** The writing process's owner id, named in the keys it makes (keys.ts). */
    private readonly owner: string,
    private readonly limits: S3StoreLimits = {
      singleCopyBytes: SINGLE_COPY_LIMIT,
      copyPartBytes: COPY_PART_BYTES,
    },
  ) {
    this.client = createS3Client(settings);
    this.bucket = settings.bucket;
    this.location = `s3://${settings.bucket} at ${settings.endpoint ?? `AWS ${settings.region}`}`;
  }

  async init(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const why = status === 404 ? 'no such bucket' : status === 403 ? 'access denied' : String(error);
      throw new Error(`S3_BUCKET: cannot use ${this.location}: ${why}`);
    }
  }

  async destroy(): Promise<void> {
    this.client.destroy();
  }

  writeTemporary(source: Readable): Promise<StoredObject> {
    return this.put(newTemporaryKey(this.owner), source);
  }

  async put(key: string, source: Readable): Promise<StoredObject> {
    const upload = new Upload({
      client: this.client,
      // lib-storage takes a body's `size`, `length`, `start`/`end` or `path` for its byte count and
      // fails an upload whose parts then disagree: a stream of ours may have any such property (the
      // upload fingerprint counts its `size` as bytes pass), so it gets a plain stream of the chunks.
      params: {
        Bucket: this.bucket,
        Key: checkedKey(key),
        Body: Readable.from(source, { objectMode: false }),
      },
      partSize: this.settings.partBytes,
      queueSize: this.settings.queueSize,
      // On any failure (the source cut or refused while streaming, a part refused) lib-storage aborts
      // the multipart upload itself, so no part is left behind to be billed or swept.
      leavePartsOnError: false,
    });
    await upload.done();
    // The size as stored, not as counted on the way; and Ceph RGW answers a completed multipart upload
    // with an empty ETag (Ceph tracker 58879), so nothing from that answer is used.
    const stored = await this.stat(key);
    if (!stored) throw new Error(`S3 lost ${key} right after storing it`);
    return stored;
  }

  /**
   * A server-side copy to a new `blobs/` key, then the temporary object goes. Writing uploads straight
   * to a `blobs/` key would save the copy, but then the sweeper could not tell a kept object from one
   * whose upload is just finishing: S3 dates a multipart object from when its upload began, so an
   * upload longer than the sweeper's grace would look like an old orphan in the moment between its
   * last part and its row's commit. A copy is dated when it is made; Ceph RGW makes it by reference
   * (measured: 44 ms for 256 MiB). Past CopyObject's 5 GiB, the copy is a multipart UploadPartCopy.
   */
  async promote(temporaryKey: string): Promise<string> {
    const temporary = await this.stat(checkedKey(temporaryKey));
    if (!temporary) throw new MissingObjectError(temporaryKey);
    const key = newPermanentKey(this.owner);
    const source = `${this.bucket}/${temporaryKey}`;
    if (temporary.size <= this.limits.singleCopyBytes) {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: key, CopySource: source }));
    } else {
      await this.copyInParts(source, temporary.size, key);
    }
    await this.delete(temporaryKey);
    return key;
  }

  private async copyInParts(source: string, size: number, key: string): Promise<void> {
    const { UploadId } = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key }),
    );
    const partSize = this.limits.copyPartBytes;
    const ranges = Array.from({ length: Math.ceil(size / partSize) }, (_, index) => ({
      PartNumber: index + 1,
      range: `bytes=${index * partSize}-${Math.min(size, (index + 1) * partSize) - 1}`,
    }));
    try {
      const parts: CompletedPart[] = [];
      for (let next = 0; next < ranges.length; next += COPIES_IN_FLIGHT) {
        const copied = await Promise.all(
          ranges.slice(next, next + COPIES_IN_FLIGHT).map(async ({ PartNumber, range }) => {
            const answer = await this.client.send(
              new UploadPartCopyCommand({
                Bucket: this.bucket,
                Key: key,
                UploadId,
                PartNumber,
                CopySource: source,
                CopySourceRange: range,
              }),
            );
            return { PartNumber, ETag: answer.CopyPartResult?.ETag };
          }),
        );
        parts.push(...copied);
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (error) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId }))
        .catch(() => undefined);
      throw error;
    }
  }

  async writeTo(key: string, destination: Writable, range?: ByteRange): Promise<void> {
    let body: Readable;
    try {
      const answer = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: checkedKey(key),
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      body = answer.Body as Readable;
    } catch (error) {
      if (isMissingObject(error)) throw new MissingObjectError(key);
      throw error;
    }
    // A destination that fails (a client gone) destroys the body, which ends the request to S3.
    await pipeline(body, destination);
  }

  async stat(key: string): Promise<StoredObject | null> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: checkedKey(key) }),
      );
      return { key, size: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (isMissingObject(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    // S3 answers a delete of a missing key with success.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: checkedKey(key) }));
  }

  async *list(prefix: 'tmp/' | 'blobs/'): AsyncIterable<StoredObject> {
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key || !isStorageKey(object.Key)) continue;
        yield { key: object.Key, size: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0) };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /**
   * Aborts the multipart uploads (of uploads and of large copies) that `abandoned` gives up, given
   * when each was last touched: its newest part, or its start when it has none. An upload still
   * sending parts is not old however long it has run.
   */
  async abortUnfinishedWrites(abandoned: AbandonedWrite): Promise<number> {
    let aborted = 0;
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    do {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({ Bucket: this.bucket, KeyMarker, UploadIdMarker }),
      );
      for (const { Key, UploadId, Initiated } of page.Uploads ?? []) {
        if (!Key || !UploadId || !isStorageKey(Key)) continue;
        if (!(await abandoned(Key, () => this.lastTouched(Key, UploadId, Initiated)))) continue;
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }));
        aborted += 1;
      }
      [KeyMarker, UploadIdMarker] = page.IsTruncated
        ? [page.NextKeyMarker, page.NextUploadIdMarker]
        : [undefined, undefined];
    } while (KeyMarker);
    return aborted;
  }

  private async lastTouched(Key: string, UploadId: string, initiated = new Date(0)): Promise<Date> {
    let newest = initiated;
    let PartNumberMarker: string | undefined;
    do {
      const page = await this.client.send(
        new ListPartsCommand({ Bucket: this.bucket, Key, UploadId, PartNumberMarker }),
      );
      for (const part of page.Parts ?? []) {
        if (part.LastModified && part.LastModified > newest) newest = part.LastModified;
      }
      PartNumberMarker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (PartNumberMarker);
    return newest;
  }

  /** A short-lived URL that GETs the object straight from S3, labelled as `labels` say. */
  presignedDownload(key: string, labels: DownloadLabels, seconds: number): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: checkedKey(key),
      ResponseContentType: labels.contentType,
      ResponseContentDisposition: labels.contentDisposition,
      ResponseCacheControl: labels.cacheControl,
    });
    return getSignedUrl(this.client, command, { expiresIn: seconds });
  }
}
