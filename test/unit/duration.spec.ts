import { parseDuration } from '../../src/config/duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['15m', 900_000],
    ['12h', 43_200_000],
    ['7d', 604_800_000],
    ['0s', 0],
  ])('reads %p as %p milliseconds', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([
    [0, 0],
    [1500, 1500],
    [900_000, 900_000],
  ])('takes the number %p as milliseconds', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([[''], ['abc'], ['-1s'], ['1w'], ['10'], ['s'], ['1 week'], ['10S'], ['1e3ms']])(
    'refuses the string %p',
    (input) => {
      expect(parseDuration(input)).toBeUndefined();
    },
  );

  it.each([[NaN], [Infinity], [-Infinity], [-1], [-1000]])('refuses the number %p', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });

  it.each([[{}], [{ ms: 10 }], [[]], [['10s']], [null], [undefined], [true], [10n]])(
    'refuses a value that is neither a number nor a string: %p',
    (input) => {
      expect(parseDuration(input)).toBeUndefined();
    },
  );
});
