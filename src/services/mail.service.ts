import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from '../logger';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/**
 * Sends mail through SMTP_URL, or, with none set, writes each message to the outbox (DATA_DIR/outbox)
 * as an `.eml` file (mode 0600: it may hold a reset link) for the operator to read; with neither, as
 * on an instance that keeps no files, a message is dropped with a warning. Messages go out in the
 * background: the answer that caused one never waits for a mail server, nor tells by its timing
 * whether a message was sent.
 */
export class MailService {
  private readonly pending = new Set<Promise<void>>();

  private constructor(
    private readonly transport: Transporter,
    private readonly from: string,
    /** `smtp`, the outbox folder messages are written to, or `drop`. */
    private readonly delivery: 'smtp' | { outbox: string } | 'drop',
    private readonly logger: Logger,
  ) {}

  static create(
    settings: { smtpUrl?: string; from: string; outbox: string | null },
    logger: Logger,
  ): MailService {
    if (settings.smtpUrl) {
      return new MailService(nodemailer.createTransport(settings.smtpUrl), settings.from, 'smtp', logger);
    }
    if (!settings.outbox) logger.warn('SMTP_URL is not set and there is no outbox: mail will not be sent');
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    const delivery = settings.outbox ? { outbox: settings.outbox } : 'drop';
    return new MailService(transport, settings.from, delivery, logger);
  }

  /** Sends `mail` without holding up the caller; a failure is logged. */
  sendInBackground(mail: Mail): void {
    const sending = this.send(mail)
      .catch((error: unknown) =>
        this.logger.error({ err: error, subject: mail.subject }, 'sending mail failed'),
      )
      .finally(() => this.pending.delete(sending));
    this.pending.add(sending);
  }

  /** Resolves once every message started so far has gone (or failed): before shutdown, and in tests. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all(this.pending);
  }

  private async send(mail: Mail): Promise<void> {
    if (this.delivery === 'drop') {
      this.logger.warn({ subject: mail.subject }, 'no SMTP_URL: mail not sent');
      return;
    }
    const info = (await this.transport.sendMail({ from: this.from, ...mail })) as { message?: Buffer };
    if (this.delivery === 'smtp') {
      this.logger.info({ subject: mail.subject }, 'mail sent');
      return;
    }
    const { outbox } = this.delivery;
    await mkdir(outbox, { recursive: true, mode: 0o700 });
    const file = path.join(outbox, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.eml`);
    await writeFile(file, info.message ?? '', { mode: 0o600 });
    this.logger.info({ file, subject: mail.subject }, 'no SMTP_URL: mail written to the outbox');
  }
}
