import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintAsNumber } from './bigint.transformer';

@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** Unique case-insensitively (a unique index on lower(user_name)). */
  @Column({ name: 'user_name', type: 'varchar', length: 32 })
  userName!: string;

  @Column({ name: 'nick_name', type: 'varchar', length: 32 })
  nickName!: string;

  @Column({ type: 'varchar', length: 254, nullable: true })
  email!: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  phone!: string | null;

  /** argon2id of the md5 hex of the password; null for accounts that cannot log in. */
  @Column({ name: 'password_hash', type: 'text', nullable: true })
  passwordHash!: string | null;

  /** Null: DEFAULT_QUOTA_BYTES applies. */
  @Column({ name: 'quota_bytes', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  quotaBytes!: number | null;

  /** The sizes of the user's files, summed; kept by triggers on `nodes`, never written by the app. */
  @Column({ name: 'used_bytes', type: 'bigint', transformer: bigintAsNumber, insert: false, update: false })
  usedBytes!: number;

  /** May set other accounts' quotas; granted in the database only. */
  @Column({ name: 'is_admin', type: 'boolean', insert: false, update: false })
  isAdmin!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
