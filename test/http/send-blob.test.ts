import { contentDisposition, parseRange } from '../../src/http/send-blob';

describe('parseRange', () => {
  it.each([
    ['bytes=0-0', { start: 0, end: 0 }],
    ['bytes=10-19', { start: 10, end: 19 }],
    ['bytes=90-', { start: 90, end: 99 }],
    ['bytes=90-500', { start: 90, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
    [' bytes=1-2 ', { start: 1, end: 2 }],
  ])('reads %j against 100 bytes', (header, range) => {
    expect(parseRange(header, 100)).toEqual(range);
  });

  it.each(['bytes=100-', 'bytes=100-200', 'bytes=5-4', 'bytes=-0'])(
    'calls %j unsatisfiable for 100 bytes',
    (header) => {
      expect(parseRange(header, 100)).toBeNull();
    },
  );

  it('calls any range of an empty file unsatisfiable', () => {
    expect(parseRange('bytes=0-', 0)).toBeNull();
    expect(parseRange('bytes=-1', 0)).toBeNull();
  });

  it.each([undefined, '', 'bytes=-', 'items=0-1', 'bytes=0-1,5-6', 'bytes=a-b', 'bytes 0-1'])(
    'ignores %j, serving the whole file',
    (header) => {
      expect(parseRange(header, 100)).toBeUndefined();
    },
  );
});

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the exact UTF-8 name', () => {
    expect(contentDisposition('attachment', '报告 "final".pdf')).toBe(
      `attachment; filename="__ _final_.pdf"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%22final%22.pdf`,
    );
  });

  it('percent-encodes the characters RFC 5987 reserves', () => {
    expect(contentDisposition('inline', "it's (1)*.png")).toBe(
      `inline; filename="it's (1)*.png"; filename*=UTF-8''it%27s%20%281%29%2A.png`,
    );
  });

  it('cannot be broken out of by quotes, backslashes or line breaks in the name', () => {
    const header = contentDisposition('attachment', 'a"; filename="evil.html\\\r\n.txt');
    expect(header).not.toMatch(/[\r\n]/);
    expect(header.split('"').length).toBe(3);
  });
});
