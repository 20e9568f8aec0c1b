/**
 * PostgreSQL log sequence numbers as bigint. The text form is two upper-case hex numbers, the high and the
 * low 32 bits, without padding: `16/B374D848` (as `pg_lsn` prints it). pgoutput sends them as Int64.
 */
export type Lsn = bigint;

const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;
const MAX = (1n << 64n) - 1n;

/** `16/B374D848` → 0x16B374D848n. Throws on anything else (an LSN is never guessed). */
export function parseLsn(text: string): Lsn {
  const m = LSN_TEXT.exec(text.trim());
  if (!m) throw new Error(`not an LSN: ${JSON.stringify(text)}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

/** 0x16B374D848n → `16/B374D848`. */
export function formatLsn(lsn: Lsn): string {
  if (lsn < 0n || lsn > MAX) throw new Error(`LSN out of range: ${lsn}`);
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** -1, 0 or 1, for sorting. */
export function compareLsn(a: Lsn, b: Lsn): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function maxLsn(a: Lsn, b: Lsn): Lsn {
  return a > b ? a : b;
}
