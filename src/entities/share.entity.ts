import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A public share of a file. Spec 001 names a share by `(md5, name)`, so that pair is unique; both
 * follow the file when it is renamed or its content replaced (see ShareService.syncWithFiles).
 */
@Entity({ name: 'shares' })
export class Share {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'node_id', type: 'uuid', unique: true })
  nodeId!: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId!: string;

  @Column({ type: 'char', length: 32 })
  md5!: string;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  /** Public downloads (spec 001 `dealsharefile?cmd=pv`); the download ranking orders by it. */
  @Column({ type: 'int', default: 0 })
  pv!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
