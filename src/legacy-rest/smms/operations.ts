/** The GraphQL operations both sm.ms doors run. */

const IMAGE_FIELDS = `id filename storename path url size width height createdAt deleteToken`;

export const UPLOAD_IMAGE = /* GraphQL */ `
  mutation SmmsUpload($file: Upload!) {
    uploadImage(input: { file: $file }) {
      image { ${IMAGE_FIELDS} }
      repeated
      userErrors { code message }
    }
  }
`;

export const DELETE_IMAGE = /* GraphQL */ `
  mutation SmmsDelete($token: String!) {
    deleteImage(input: { deleteToken: $token }) {
      deletedIds
      userErrors {
        code
        message
      }
    }
  }
`;

export const RECENT_IMAGES = /* GraphQL */ `
  query SmmsHistory {
    recentImageUploads { ${IMAGE_FIELDS} }
  }
`;

export const CLEAR_RECENT = /* GraphQL */ `
  mutation SmmsClear {
    clearRecentImageUploads {
      userErrors {
        code
        message
      }
    }
  }
`;

export const MY_IMAGES = /* GraphQL */ `
  query SmmsUploadHistory($first: Int!, $after: String, $withTotal: Boolean!, $withNodes: Boolean!) {
    myImageUploads(first: $first, after: $after) {
      totalCount @include(if: $withTotal)
      pageInfo { hasNextPage endCursor }
      nodes @include(if: $withNodes) { ${IMAGE_FIELDS} }
    }
  }
`;

export const PROFILE = /* GraphQL */ `
  query SmmsProfile {
    viewer {
      userName
      email
      usedBytes
      quotaBytes
      fileCount
    }
  }
`;

/** An image as the operations above select it. */
export interface Image {
  id: string;
  filename: string;
  storename: string;
  path: string;
  url: string;
  size: number;
  width: number;
  height: number;
  createdAt: string;
  deleteToken: string;
}

export const ISSUE_TOKEN = /* GraphQL */ `
  mutation SmmsToken($input: IssueApiTokenInput!) {
    issueApiToken(input: $input) {
      token
      userErrors {
        code
        message
      }
    }
  }
`;
