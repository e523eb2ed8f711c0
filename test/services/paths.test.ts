import { AppError } from '../../src/app-error';
import { ancestorsOf, numberedName, splitName, toDir, validateName } from '../../src/services/paths';

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
    ['256 characters', 'a'.repeat(256)],
    ['a slash', 'a/b'],
    ['NUL', 'a\0b'],
    ['a newline', 'a\nb'],
    ['a tab', 'a\tb'],
    ['DEL', 'a\x7fb'],
    ['a C1 control', 'a\u0085b'],
    ['"."', '.'],
    ['".."', '..'],
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
    ['//a///b//', '/a/b/'],
  ])('normalises %j to %j', (folder, dir) => {
    expect(toDir(folder)).toBe(dir);
  });

  it.each(['../x', '/a/../b', './a', '/a/./b', '..', 'a/\0/b', 'x/' + 'a'.repeat(256)])(
    'refuses %j as BAD_USER_INPUT',
    (folder) => {
      expect(() => toDir(folder)).toThrow(badInput);
    },
  );

  it('refuses a path longer than 4096 characters', () => {
    expect(() => toDir(Array.from({ length: 20 }, () => 'a'.repeat(250)).join('/'))).toThrow(badInput);
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

  it('numbers a name before its extension, within 255 characters', () => {
    expect(numberedName('a.png', 1)).toBe('a (1).png');
    expect(numberedName('.env', 1)).toBe('.env (1)');
    expect(numberedName('noext', 12)).toBe('noext (12)');
    const long = numberedName(`${'x'.repeat(251)}.png`, 3);
    expect(long).toHaveLength(255);
    expect(long.endsWith('x (3).png')).toBe(true);
  });
});
