import { bigintAsNumber } from './bigint.transformer';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A picture shared under a random key (spec 001 `sharepic`). It outlives its file: `nodeId` becomes
 * null when the file is deleted, so a view can answer "deleted", and the name, md5 and size stay as
 * they last were so the owner's list still shows them.
 */
@Entity({ name: 'picture_shares' })
export class PictureShare {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** 32 lowercase hex characters from a CSPRNG. */
  @Column({ type: 'char', length: 32, unique: true })
  key!: string;

  @Column({ name: 'node_id', type: 'uuid', nullable: true, unique: true })
  nodeId!: string | null;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId!: string;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'char', length: 32 })
  md5!: string;

  @Column({
    type: 'bigint',
    transformer: bigintAsNumber,
  })
  size!: number;

  /** Views counted by `viewPictureShare`. */
  @Column({ type: 'int', default: 0 })
  pv!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
