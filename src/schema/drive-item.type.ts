import { Field, Int, InterfaceType, ObjectType, registerEnumType } from 'type-graphql';
import { DriveItemKind, type DriveItem } from '../entities/drive-item.entity';
import { ConflictPolicy } from '../services/drive.service';
import { IdType, toGlobalId } from './global-id';
import { connectionOf, NodeInterface } from './relay';
import { ByteCountScalar, UrlScalar } from './scalars';

registerEnumType(DriveItemKind, {
  name: 'DriveItemKind',
  description: 'Whether a drive item is a file or a folder.',
  valuesConfig: {
    FILE: { description: 'A file: stored bytes with a name.' },
    FOLDER: { description: 'A folder: holds files and folders.' },
  },
});

registerEnumType(ConflictPolicy, {
  name: 'ConflictPolicy',
  description: 'What to do when the target folder already holds something of that name.',
  valuesConfig: {
    RENAME: {
      description:
        'Keep both: the newcomer is numbered before its extension, `cat.png` becoming `cat (1).png`, then `cat (2).png`; the stem is shortened so that the name stays within 255 bytes.',
    },
    REPLACE: { description: 'A file takes the place of the file of that name (never of a folder).' },
    FAIL: { description: 'Change nothing and answer NAME_TAKEN.' },
  },
});

@InterfaceType('DriveItem', {
  implements: NodeInterface,
  description: 'A file or a folder in the viewer’s drive.',
  resolveType: (item: DriveItemInterface) => (item instanceof FileType ? 'File' : 'Folder'),
})
export abstract class DriveItemInterface extends NodeInterface {
  @Field(() => String, {
    description: 'At most 255 bytes of UTF-8; no `/`, control or text-direction characters.',
  })
  name!: string;

  @Field(() => String, { description: 'The full path, such as `/photos/2024/cat.png`.' })
  path!: string;

  @Field(() => String, { description: 'The folder it is in, such as `/photos/2024`, or `/` for the top.' })
  folderPath!: string;

  @Field(() => Date, { description: 'When it was created here (uploaded, copied or made).' })
  createdAt!: Date;

  @Field(() => Date, { description: 'When it was last renamed, moved or given new content.' })
  updatedAt!: Date;

  /** The row this object shows, for field resolvers. */
  item!: DriveItem;
}

@ObjectType('SignedUrl', {
  description:
    'A private download URL: anyone holding it may download until it expires, so share it only on purpose.',
})
export class SignedUrlType {
  @Field(() => UrlScalar, {
    description:
      'The URL. It stays the same for a file within each hour, so browser and CDN caches keep serving it.',
  })
  url!: string;

  @Field(() => Date, {
    description: 'When the URL stops working: 24 to 25 hours after it was made (rounded up to the hour).',
  })
  expiresAt!: Date;
}

function driveItemFields(item: DriveItem) {
  return {
    item,
    name: item.name,
    path: `${item.dir}${item.name}`,
    folderPath: item.dir === '/' ? '/' : item.dir.slice(0, -1),
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  };
}

@ObjectType('File', {
  implements: [NodeInterface, DriveItemInterface],
  description: 'A file in the viewer’s drive. Identical content is stored once, whoever uploads it.',
})
export class FileType extends DriveItemInterface {
  @Field(() => ByteCountScalar, { description: 'Its length in bytes.' })
  size!: number;

  @Field(() => String, {
    description:
      'From the file’s leading bytes, never from its name or the uploader: `image/png`, `application/pdf`, … or `application/octet-stream`.',
  })
  contentType!: string;

  @Field(() => String, {
    description: 'The md5 of its bytes, 32 lowercase hex characters (spec-001 clients name files by it).',
  })
  md5!: string;

  @Field(() => String, {
    description: 'The sha256 of its bytes, 64 lowercase hex characters: also its `ETag`.',
  })
  sha256!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Pixels across, for images whose header says; null otherwise.',
  })
  width!: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Pixels down, for images whose header says; null otherwise.',
  })
  height!: number | null;

  @Field(() => Int, { description: 'Downloads its owner counted with `recordFileDownload`.' })
  downloadCount!: number;

  static from(item: DriveItem): FileType {
    const blob = item.blob!;
    return Object.assign(new FileType(), {
      id: toGlobalId(IdType.FILE, item.id),
      ...driveItemFields(item),
      size: blob.size,
      contentType: blob.contentType,
      md5: blob.md5,
      sha256: blob.sha256,
      width: blob.width,
      height: blob.height,
      downloadCount: item.pv,
    });
  }
}

@ObjectType('Folder', {
  implements: [NodeInterface, DriveItemInterface],
  description: 'A folder in the viewer’s drive. The top folder, `/`, always exists and is not a Folder.',
})
export class FolderType extends DriveItemInterface {
  static from(item: DriveItem): FolderType {
    return Object.assign(new FolderType(), {
      id: toGlobalId(IdType.FOLDER, item.id),
      ...driveItemFields(item),
    });
  }
}

/** The GraphQL object of a drive item: a File or a Folder, as its kind says. */
export function driveItemType(item: DriveItem): FileType | FolderType {
  return item.kind === DriveItemKind.FILE ? FileType.from(item) : FolderType.from(item);
}

export const FileConnection = connectionOf('File', FileType, 'file');
export type FileConnection = InstanceType<typeof FileConnection>;
export const FolderConnection = connectionOf('Folder', FolderType, 'folder');
export type FolderConnection = InstanceType<typeof FolderConnection>;
