import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { NodeKind, type Node } from '../entities/node.entity';
import { ConflictPolicy, NodeOrder } from '../services/node.service';

registerEnumType(NodeKind, { name: 'NodeKind' });
registerEnumType(ConflictPolicy, {
  name: 'ConflictPolicy',
  description: 'What to do when the target folder already has something of that name.',
});
registerEnumType(NodeOrder, {
  name: 'NodeOrder',
  description: 'CREATED: newest first. NAME: folders first, then by name. PV_*: by private downloads.',
});

@ObjectType('Node', { description: 'A file or a folder in the caller’s tree.' })
export class NodeType {
  @Field(() => ID)
  id!: string;

  @Field(() => NodeKind)
  kind!: NodeKind;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'The containing folder, such as `/` or `/photos/2024`.' })
  folder!: string;

  @Field(() => String, { description: 'The full path, such as `/photos/2024/cat.png`.' })
  path!: string;

  @Field(() => Float, { nullable: true, description: 'Bytes; null for folders.' })
  size!: number | null;

  @Field(() => String, { nullable: true })
  md5!: string | null;

  @Field(() => String, { nullable: true })
  sha256!: string | null;

  @Field(() => String, { nullable: true, description: 'From the file’s leading bytes, not its name.' })
  contentType!: string | null;

  @Field(() => Int, { nullable: true })
  width!: number | null;

  @Field(() => Int, { nullable: true })
  height!: number | null;

  @Field(() => Int, { description: 'Downloads recorded by the owner.' })
  pv!: number;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;

  @Field(() => String, {
    nullable: true,
    description: 'A signed download URL that expires; null for folders.',
  })
  url!: string | null;

  static from(node: Node, url: string | null): NodeType {
    const blob = node.blob ?? null;
    return Object.assign(new NodeType(), {
      id: node.id,
      kind: node.kind,
      name: node.name,
      folder: node.dir === '/' ? '/' : node.dir.slice(0, -1),
      path: `${node.dir}${node.name}`,
      size: blob?.size ?? null,
      md5: blob?.md5 ?? null,
      sha256: blob?.sha256 ?? null,
      contentType: blob?.contentType ?? null,
      width: blob?.width ?? null,
      height: blob?.height ?? null,
      pv: node.pv,
      createdAt: node.createdAt,
      updatedAt: node.updatedAt,
      url,
    });
  }
}

@ObjectType('NodePage')
export class NodePageType {
  @Field(() => Int, { description: 'How many match, across all pages.' })
  totalCount!: number;

  @Field(() => [NodeType])
  nodes!: NodeType[];
}
