/**
 * The PostgreSQL text-format conversions on their own (the same values round-trip through a real server
 * in test/connectors/postgres.test.ts): time zones with odd offsets, BC and far-future years, arrays with
 * every quoting rule.
 */
import { describe, expect, it } from 'vitest';
import {
  arrayOf,
  builtinConverter,
  civilFromDays,
  convertDate,
  convertTimestamp,
  convertTimestamptz,
  convertTimetz,
  daysFromCivil,
  isoYear,
  parseArray,
} from './values.js';

const text = (t: string) => t;

describe('PostgreSQL value conversions', () => {
  it('counts days like the proleptic Gregorian calendar', () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(2000, 3, 1)).toBe(11017);
    expect(daysFromCivil(-4713, 11, 24)).toBe(-2440588); // Julian day 0
    for (const d of [-800_000, -1, 0, 59, 60, 365, 11_016, 2_932_896]) {
      const [y, m, dd] = civilFromDays(d);
      expect(daysFromCivil(y, m, dd)).toBe(d);
    }
    // Agrees with JS Date where Date is exact.
    for (const iso of ['1900-02-28', '2024-02-29', '2100-03-01', '0001-01-01']) {
      const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
      expect(daysFromCivil(y, m, d) * 86_400_000).toBe(Date.parse(`${iso}T00:00:00Z`));
    }
  });

  it('writes ISO 8601 years, expanded outside 0000–9999', () => {
    expect(isoYear(2024)).toBe('2024');
    expect(isoYear(44)).toBe('0044');
    expect(isoYear(0)).toBe('0000');
    expect(isoYear(-43)).toBe('-000043');
    expect(isoYear(10000)).toBe('+010000');
  });

  it('converts dates and timestamps without a zone', () => {
    expect(convertDate('2024-02-29')).toBe('2024-02-29');
    expect(convertDate('0044-03-15 BC')).toBe('-000043-03-15');
    expect(convertDate('0001-01-01 BC')).toBe('0000-01-01');
    expect(convertDate('10000-01-01')).toBe('+010000-01-01');
    expect(convertDate('infinity')).toBe('infinity');
    expect(convertDate('-infinity')).toBe('-infinity');
    expect(convertTimestamp('2024-03-01 12:34:56.789012')).toBe('2024-03-01T12:34:56.789012');
    expect(convertTimestamp('2024-03-01 12:34:56')).toBe('2024-03-01T12:34:56');
    expect(convertTimestamp('0044-03-15 12:00:00 BC')).toBe('-000043-03-15T12:00:00');
  });

  it('converts timestamptz to UTC whatever the offset, keeping microseconds', () => {
    expect(convertTimestamptz('2024-03-01 12:34:56.789012+00')).toBe('2024-03-01T12:34:56.789012Z');
    expect(convertTimestamptz('2024-03-01 12:34:56+02')).toBe('2024-03-01T10:34:56Z');
    expect(convertTimestamptz('2024-03-01 00:30:00.5+05:30')).toBe('2024-02-29T19:00:00.5Z');
    expect(convertTimestamptz('2023-12-31 21:00:00-03:30')).toBe('2024-01-01T00:30:00Z');
    // Local mean time before standard zones: offsets in seconds.
    expect(convertTimestamptz('1800-01-01 00:00:00+00:19:32')).toBe('1799-12-31T23:40:28Z');
    expect(convertTimestamptz('294277-01-01 00:59:59.999999+01')).toBe('+294276-12-31T23:59:59.999999Z');
    expect(convertTimestamptz('4714-11-24 00:19:32+00:19:32 BC')).toBe('-004713-11-24T00:00:00Z');
    expect(convertTimestamptz('infinity')).toBe('infinity');
    expect(convertTimestamptz('-infinity')).toBe('-infinity');
    // Agrees with JS Date on ordinary instants.
    const t = convertTimestamptz('2021-06-30 23:59:59.123+09');
    expect(new Date(String(t)).toISOString()).toBe('2021-06-30T14:59:59.123Z');
  });

  it('writes time-zone offsets of timetz with minutes', () => {
    expect(convertTimetz('12:00:00+02')).toBe('12:00:00+02:00');
    expect(convertTimetz('12:00:00.25-03:30')).toBe('12:00:00.25-03:30');
  });

  it('parses array text at any depth with quoting, escapes and NULLs', () => {
    expect(parseArray('{}', text)).toEqual([]);
    expect(parseArray('{1,2,3}', Number)).toEqual([1, 2, 3]);
    expect(parseArray('{{1,2},{3,4}}', Number)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(parseArray('{a,NULL,"NULL","a b","x\\"y","back\\\\slash","",null}', text)).toEqual([
      'a',
      null,
      'NULL',
      'a b',
      'x"y',
      'back\\slash',
      '',
      null,
    ]);
    expect(parseArray('[0:1]={7,8}', Number)).toEqual([7, 8]);
    expect(parseArray('{"{not nested}",","}', text)).toEqual(['{not nested}', ',']);
    expect(parseArray('{(3,4),(1,2);(5,6),(0,0)}', text, ';')).toEqual(['(3,4),(1,2)', '(5,6),(0,0)']);
    // Malformed text comes back as it was rather than half-parsed.
    expect(parseArray('{1,2', text)).toBe('{1,2');
    expect(parseArray('{"open}', text)).toBe('{"open}');
  });

  it('converts built-in types by OID, arrays included', () => {
    expect(builtinConverter(20)!('9223372036854775807')).toBe('9223372036854775807');
    expect(builtinConverter(23)!('-5')).toBe(-5);
    expect(builtinConverter(701)!('Infinity')).toBe('Infinity');
    expect(builtinConverter(701)!('1.5e-7')).toBe(1.5e-7);
    expect(builtinConverter(16)!('t')).toBe(true);
    expect(builtinConverter(17)!('\\xdeadbeef')).toBe('3q2+7w==');
    expect(builtinConverter(3802)!('{"a": [1, 2]}')).toEqual({ a: [1, 2] });
    expect(builtinConverter(1016)!('{1,9223372036854775807}')).toEqual(['1', '9223372036854775807']);
    expect(builtinConverter(1185)!('{"2024-01-01 00:00:00+01",NULL}')).toEqual(['2023-12-31T23:00:00Z', null]);
    expect(builtinConverter(1001)!('{"\\\\xdead"}')).toEqual(['3q0=']);
    expect(builtinConverter(99999)).toBeUndefined();
    expect(arrayOf(Number)('{{1},{2}}')).toEqual([[1], [2]]);
  });
});
