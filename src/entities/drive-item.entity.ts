import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { Blob } from './blob.entity';

export enum DriveItemKind {
  FILE = 'file',
  FOLDER = 'folder',
}

/** A file or folder in a user's tree. Its path is `dir` + `name`; `dir` is `/` or `/a/b/`. */
@Entity({ name: 'nodes' })
export class DriveItem {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId!: string;

  @Column({ type: 'varchar', length: 8 })
  kind!: DriveItemKind;

  @Column({ type: 'text' })
  dir!: string;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ name: 'blob_id', type: 'uuid', nullable: true })
  blobId!: string | null;

  @ManyToOne(() => Blob, { nullable: true })
  @JoinColumn({ name: 'blob_id' })
  blob?: Blob | null;

  /** Private downloads by the owner (spec 001 `dealfile?cmd=pv`). */
  @Column({ type: 'int', default: 0 })
  pv!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
