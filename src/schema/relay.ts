import { IsInt, IsOptional, Max, MaxLength, Min } from 'class-validator';
import { ArgsType, Field, ID, Int, InterfaceType, ObjectType, type ClassType } from 'type-graphql';
import type { Listing } from '../services/pagination';
import { MAX_PAGE_SIZE } from '../services/pagination';

@InterfaceType('Node', {
  description:
    'An object with a global id: `node(id:)` finds it again, and a client cache can key it by `id` alone.',
})
export abstract class NodeInterface {
  @Field(() => ID, { description: 'Opaque and global: unique across every type. Do not take it apart.' })
  id!: string;
}

@ObjectType('PageInfo', { description: 'Where a page stands in its list (Relay cursor connections).' })
export class PageInfoType {
  @Field(() => Boolean, { description: 'Whether items follow the last one of this page.' })
  hasNextPage!: boolean;

  @Field(() => Boolean, {
    description:
      'Whether items come before the first one. Paging forward with `after`, it is true whenever a cursor was given.',
  })
  hasPreviousPage!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'The cursor of the first item; null for an empty page.',
  })
  startCursor!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The cursor of the last item; null for an empty page.',
  })
  endCursor!: string | null;
}

/** `first`/`after`/`last`/`before` of every connection. */
@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, {
    nullable: true,
    description: `How many items after \`after\` (or from the start): 0 to ${MAX_PAGE_SIZE}; 20 when neither first nor last is given.`,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_PAGE_SIZE)
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The cursor of the item the page starts after.' })
  @IsOptional()
  @MaxLength(1024)
  after?: string | null;

  @Field(() => Int, {
    nullable: true,
    description: `How many items before \`before\` (or up to the end): 0 to ${MAX_PAGE_SIZE}. Not with \`first\`.`,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_PAGE_SIZE)
  last?: number | null;

  @Field(() => String, { nullable: true, description: 'The cursor of the item the page ends before.' })
  @IsOptional()
  @MaxLength(1024)
  before?: string | null;
}

export interface ConnectionShape<Node> {
  edges: { cursor: string; node: Node }[];
  nodes: Node[];
  pageInfo: PageInfoType;
  readonly totalCount: Promise<number>;
}

/**
 * The connection and edge types of a list of `Node`s, named `<name>Connection` and `<name>Edge`.
 * `totalCount` is counted only when a query asks for it.
 */
export function connectionOf<Node extends object>(
  name: string,
  nodeType: ClassType<Node> | (() => ClassType<Node>),
  what: string,
) {
  const type = () =>
    nodeType.prototype ? (nodeType as ClassType<Node>) : (nodeType as () => ClassType<Node>)();

  @ObjectType(`${name}Edge`, { description: `One ${what} in a page, with its cursor.` })
  class Edge {
    @Field(() => String, { description: 'Pass as `after` (or `before`) to page on from this item.' })
    cursor!: string;

    @Field(type, { description: `The ${what}.` })
    node!: Node;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${what}s (Relay cursor connection).` })
  class Connection implements ConnectionShape<Node> {
    @Field(() => [Edge], { description: 'The items of the page with their cursors.' })
    edges!: Edge[];

    @Field(() => [type()], { description: 'The items of the page, when their cursors are not needed.' })
    nodes!: Node[];

    @Field(() => PageInfoType, { description: 'Whether more items come before or after this page.' })
    pageInfo!: PageInfoType;

    countTotal!: () => Promise<number>;
    private counted?: Promise<number>;

    @Field(() => Int, {
      description: `How many ${what}s the whole list holds, across all pages: a query of its own, made only when asked.`,
    })
    get totalCount(): Promise<number> {
      this.counted ??= this.countTotal();
      return this.counted;
    }

    static from<Item>(listing: Listing<Item>, toNode: (item: Item) => Node): Connection {
      const nodes = listing.items.map(toNode);
      return Object.assign(new Connection(), {
        nodes,
        edges: nodes.map((node, index) =>
          Object.assign(new Edge(), { cursor: listing.cursors[index], node }),
        ),
        pageInfo: Object.assign(new PageInfoType(), {
          hasNextPage: listing.hasNextPage,
          hasPreviousPage: listing.hasPreviousPage,
          startCursor: listing.cursors[0] ?? null,
          endCursor: listing.cursors.at(-1) ?? null,
        }),
        countTotal: () => listing.totalCount(),
      });
    }
  }
  return Connection;
}
