import { AppError } from '../../src/app-error';
import { ancestorsOf, itemDir, numberedName, splitName, toDir, validateName } from '../../src/services/paths';

const badInput = expect.objectContaining({ code: 'BAD_USER_INPUT' }) as AppError;

describe('validateName', () => {
  it.each(['a', 'photo.png', '报告 "final".pdf', '.env', '...', 'a'.repeat(255), ' spaced ', 'emoji 🐱'])(
    'accepts %j',
    (name) => {
      expect(validateName(name)).toBe(name);
    },
  );

  it.each([
    ['empty', ''],
    ['256 bytes', 'a'.repeat(256)],
    ['86 CJK characters (258 bytes)', '名'.repeat(86)],
    ['a right-to-left override', 'a\u202Eb'],
    ['a left-to-right mark', 'a\u200Eb'],
    ['a first-strong isolate', 'a\u2068b'],
    ['a slash', 'a/b'],
    ['NUL', 'a\0b'],
    ['a newline', 'a\nb'],
    ['a tab', 'a\tb'],
    ['DEL', 'a\x7fb'],
    ['a C1 control', 'a\u0085b'],
    ['"."', '.'],
    ['".."', '..'],
    ['a backslash', 'a\\b'],
  ])('refuses a name with %s as BAD_USER_INPUT', (_label, name) => {
    expect(() => validateName(name)).toThrow(badInput);
  });
});

describe('toDir', () => {
  it.each([
    ['/', '/'],
    ['', '/'],
    ['a', '/a/'],
    ['/a/b', '/a/b/'],
    ['a/b/', '/a/b/'],
  ])('normalises %j to %j', (folder, dir) => {
    expect(toDir(folder)).toBe(dir);
  });

  it.each([
    '../x',
    '/a/../b',
    './a',
    '/a/./b',
    '..',
    'a/\0/b',
    'x/' + 'a'.repeat(256),
    '//',
    '//a',
    '/a//b',
    '/a/b//',
    'a\\b',
    '\\a',
  ])('refuses %j as BAD_USER_INPUT', (folder) => {
    expect(() => toDir(folder)).toThrow(badInput);
  });

  it('refuses a path longer than 2048 bytes, however few characters it has', () => {
    expect(() => toDir(Array.from({ length: 9 }, () => 'a'.repeat(250)).join('/'))).toThrow(badInput);
    expect(() => toDir(Array.from({ length: 4 }, () => '文'.repeat(180)).join('/'))).toThrow(badInput);
    expect(toDir(Array.from({ length: 8 }, () => 'a'.repeat(250)).join('/'))).toHaveLength(2009);
  });
});

describe('itemDir', () => {
  it('reads the path of one file or folder as toDir does', () => {
    expect(itemDir('/a/b.txt')).toBe('/a/b.txt/');
    expect(itemDir('/')).toBe('/');
  });

  it.each(['/a/', '/a/b.txt/', 'a/'])('refuses %j, whose trailing "/" would make it a folder', (path) => {
    expect(() => itemDir(path)).toThrow(badInput);
  });
});

describe('names and paths', () => {
  it('lists every ancestor of a folder, outermost first', () => {
    expect(ancestorsOf('/')).toEqual([]);
    expect(ancestorsOf('/a/b/c/')).toEqual([
      ['/', 'a'],
      ['/a/', 'b'],
      ['/a/b/', 'c'],
    ]);
  });

  it('splits a name at its last dot, keeping a leading dot in the stem', () => {
    expect(splitName('a.tar.gz')).toEqual(['a.tar', '.gz']);
    expect(splitName('.env')).toEqual(['.env', '']);
    expect(splitName('README')).toEqual(['README', '']);
  });

  it('keeps a numbered name within 255 bytes, never splitting a character', () => {
    const cjk = numberedName(`${'图'.repeat(83)}.p`, 7);
    expect(Buffer.byteLength(cjk)).toBeLessThanOrEqual(255);
    expect(cjk.endsWith(' (7).p')).toBe(true);
    expect(Buffer.from(cjk).toString()).toBe(cjk);
    const emoji = numberedName('🐱'.repeat(63), 1);
    expect(Buffer.byteLength(emoji)).toBeLessThanOrEqual(255);
    expect(emoji).toBe(`${'🐱'.repeat(62)} (1)`);
  });

  it('counts an extension too long to leave room as part of the stem', () => {
    const name = `a.${'b'.repeat(251)}`;
    const numbered = numberedName(name, 1);
    expect(Buffer.byteLength(numbered)).toBe(255);
    expect(numbered).toBe(`${name.slice(0, 251)} (1)`);
  });

  it('numbers a name before its extension, within 255 characters', () => {
    expect(numberedName('a.png', 1)).toBe('a (1).png');
    expect(numberedName('.env', 1)).toBe('.env (1)');
    expect(numberedName('noext', 12)).toBe('noext (12)');
    const long = numberedName(`${'x'.repeat(251)}.png`, 3);
    expect(long).toHaveLength(255);
    expect(long.endsWith('x (3).png')).toBe(true);
  });
});
