import { bigintAsNumber } from './bigint.transformer';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Stored content, kept once however many files refer to it. */
@Entity({ name: 'blobs' })
export class Blob {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'char', length: 64, unique: true })
  sha256!: string;

  @Column({ type: 'char', length: 32 })
  md5!: string;

  @Column({
    type: 'bigint',
    transformer: bigintAsNumber,
  })
  size!: number;

  /** From the leading bytes, never from the client. */
  @Column({ name: 'content_type', type: 'varchar', length: 127 })
  contentType!: string;

  @Column({ type: 'int', nullable: true })
  width!: number | null;

  @Column({ type: 'int', nullable: true })
  height!: number | null;

  /** Relative key in the BlobStore. */
  @Column({ name: 'storage_key', type: 'varchar', length: 255 })
  storageKey!: string;

  @Column({ name: 'ref_count', type: 'int' })
  refCount!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
