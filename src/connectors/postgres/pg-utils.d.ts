/** pg's own parameter serialisation (the one its Query uses), which pg exports as `pg/lib/utils.js`. */
declare module 'pg/lib/utils.js' {
  const utils: { prepareValue(value: unknown): string | Buffer | null };
  export default utils;
}
