import type { RequestContext } from '../context';
import type { Node } from '../entities/node.entity';
import type { UrlSigner } from './url-signer';

/** The owner's download URL of a file: `/files/<id>/<name>?exp=&sig=`, signed and expiring. */
export class NodeLinks {
  constructor(private readonly signer: UrlSigner) {}

  downloadUrl(context: RequestContext, node: Node): string | null {
    if (!node.blobId) return null;
    return this.signer.sign(
      `${context.baseUrl}/files/${node.id}/${encodeURIComponent(node.name)}`,
      signedPartOf(node.id),
    );
  }
}

/** What the signature of a file URL covers: the node, not its name, so a rename keeps links working. */
export const signedPartOf = (nodeId: string) => `files/${nodeId}`;
