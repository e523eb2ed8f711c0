import { anyContentTypeJsonBody } from '../../http/json-body';

/** Spec 001 bodies are small JSON objects, labelled with any Content-Type. */
export const legacyJsonBody = anyContentTypeJsonBody('64kb');
