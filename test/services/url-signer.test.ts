import { UrlSigner } from '../../src/services/url-signer';

const signer = new UrlSigner('s'.repeat(32));

function parts(url: string) {
  const parsed = new URL(url);
  return {
    path: parsed.pathname,
    exp: parsed.searchParams.get('exp')!,
    sig: parsed.searchParams.get('sig')!,
  };
}

describe('UrlSigner', () => {
  /** Unix seconds, `seconds` from now. */
  const inSeconds = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;

  it('signs a URL that works until the expiry given', () => {
    const expires = inSeconds(60);
    const url = signer.sign('https://pics.example/files/abc/a.png', 'files/abc', expires);
    const { path, exp, sig } = parts(url);
    expect(url.startsWith('https://pics.example/files/abc/a.png?exp=')).toBe(true);
    expect(path).toBe('/files/abc/a.png');
    expect(exp).toBe(String(expires));
    expect(Number(exp) - Date.now() / 1000).toBeGreaterThan(58);
    expect(Number(exp) - Date.now() / 1000).toBeLessThanOrEqual(60);
    expect(signer.verify('files/abc', exp, sig)).toBe(true);
  });

  it('refuses a signature made for something else, with another secret, or tampered with', () => {
    const { exp, sig } = parts(
      signer.sign('https://pics.example/files/abc/a.png', 'files/abc', inSeconds(3600)),
    );
    expect(signer.verify('files/abc', exp, sig)).toBe(true);
    expect(signer.verify('files/abd', exp, sig)).toBe(false);
    expect(new UrlSigner('t'.repeat(32)).verify('files/abc', exp, sig)).toBe(false);
    expect(signer.verify('files/abc', exp, `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`)).toBe(
      false,
    );
    expect(signer.verify('files/abc', String(Number(exp) + 1), sig)).toBe(false);
  });

  it('refuses an expired link even with a valid signature', () => {
    const { exp, sig } = parts(signer.sign('https://pics.example/x', 'files/abc', inSeconds(-1)));
    expect(signer.verify('files/abc', exp, sig)).toBe(false);
  });

  it.each([
    [undefined, 'sig'],
    ['123', undefined],
    [['1', '2'], 'sig'],
    ['12e3', 'sig'],
    ['9'.repeat(13), 'sig'],
  ])('refuses malformed parameters (exp %j, sig %j)', (exp, sig) => {
    expect(signer.verify('files/abc', exp, sig)).toBe(false);
  });
});
