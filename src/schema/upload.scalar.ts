import { GraphQLScalarType } from 'graphql';
import { GraphQLUpload, type FileUpload } from 'graphql-upload-minimal';
import { uploadSourceFailure } from '../services/ingest';

/** Reports a failure of the upload's source as the client's error. */
function asClientError(error: unknown): never {
  throw uploadSourceFailure(error);
}

/**
 * graphql-upload-minimal's `Upload`, with a request that failed around its file counted as the
 * client's error wherever it shows: the file's part missing from the form rejects the value before
 * any resolver runs, and a body cut inside the file makes `createReadStream` throw.
 */
export const UploadScalar = new GraphQLScalarType({
  ...GraphQLUpload.toConfig(),
  parseValue(value) {
    const upload = GraphQLUpload.parseValue(value) as Promise<FileUpload>;
    const parsed = upload.then(
      (file) => ({
        ...file,
        createReadStream: () => {
          try {
            return file.createReadStream();
          } catch (error) {
            return asClientError(error);
          }
        },
      }),
      asClientError,
    );
    // Variables are also coerced where nothing awaits them (the cost check, an operation refused
    // before its resolver): a failed upload must not be an unhandled rejection there.
    parsed.catch(() => undefined);
    return parsed;
  },
});
