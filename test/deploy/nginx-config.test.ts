import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const CONFIG = path.resolve(__dirname, '../../deploy/nginx.conf');
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((candidate) => existsSync(candidate));

// CI installs nginx from Debian: there a missing nginx fails this test rather than skipping it.
const whenNginx = NGINX || process.env.CI ? it : it.skip;

describe('deploy/nginx.conf', () => {
  whenNginx('passes nginx -t', async () => {
    if (!NGINX) throw new Error('nginx is not installed (apt-get install nginx-light)');
    const prefix = await mkdtemp(path.join(os.tmpdir(), 'picvault-nginx-'));
    try {
      await mkdir(path.join(prefix, 'logs'));
      const { stderr } = await promisify(execFile)(NGINX, ['-t', '-c', CONFIG, '-p', `${prefix}/`]);
      expect(stderr).toContain('syntax is ok');
      expect(stderr).toContain('test is successful');
    } finally {
      await rm(prefix, { recursive: true, force: true });
    }
  });
});
