import type { RawResult } from "./queryable";

/**
 * The one conversion from PostgreSQL's text output to JSON-safe values, shared by every adapter so that
 * postgres.js and the Neon driver give identical results (their own parsers differ: Dates in local time,
 * Buffers, bigint handling). Rules: int8/numeric as strings (no precision loss), float NaN/±Infinity as
 * strings, bytea as PostgreSQL prints it (`\x…` hex by default), timestamps as ISO 8601 strings keeping
 * microseconds, json/jsonb parsed, arrays of known element types as nested arrays, everything else (enums,
 * ranges, intervals, uuid, composite values, …) as PostgreSQL's text.
 */

/** Element type and delimiter of an array type. */
export interface ArrayType {
  elem: number;
  delim: string;
}

export type ArrayTypes = ReadonlyMap<number, ArrayType>;

export const Oid = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  jsonb: 3802,
} as const;

/** Built-in array types whose elements use `,` (box[] uses `;` and is left as text). */
const BUILTIN_ARRAYS: ArrayTypes = new Map(
  (
    [
      [1000, 16], [1001, 17], [1002, 18], [1003, 19], [1005, 21], [1007, 23], [1009, 25], [1014, 1042],
      [1015, 1043], [1016, 20], [1021, 700], [1022, 701], [1028, 26], [1115, 1114], [1182, 1082], [1183, 1083],
      [1185, 1184], [1187, 1186], [1231, 1700], [1270, 1266], [199, 114], [3807, 3802], [2951, 2950],
    ] as const
  ).map(([array, elem]) => [array, { elem, delim: "," }]),
);

const TIMESTAMP = /^(\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?:([+-]\d{2})(:\d{2})?(:\d{2})?)?$/;

/** `2024-01-02 03:04:05.5+00` → `2024-01-02T03:04:05.5Z`; infinity, BC dates and other styles stay as text. */
export function isoTimestamp(text: string): string {
  const m = TIMESTAMP.exec(text);
  if (!m) return text;
  const [, date, time, hours, minutes, seconds] = m;
  if (hours === undefined) return `${date}T${time}`;
  if (seconds !== undefined) return text;
  const offset = `${hours}${minutes ?? ":00"}`;
  return `${date}T${time}${offset === "+00:00" ? "Z" : offset}`;
}

function scalar(text: string, oid: number): unknown {
  switch (oid) {
    case Oid.bool:
      return text === "t";
    case Oid.int2:
    case Oid.int4:
    case Oid.oid:
      return Number(text);
    case Oid.float4:
    case Oid.float8: {
      const n = Number(text);
      return Number.isFinite(n) ? n : text;
    }
    case Oid.json:
    case Oid.jsonb:
      return JSON.parse(text);
    case Oid.timestamp:
    case Oid.timestamptz:
      return isoTimestamp(text);
    default:
      return text;
  }
}

/** Converts one value of type `oid` from text; `arrays` adds array types beyond the built-in ones. */
export function toJsonValue(text: string | null, oid: number, arrays?: ArrayTypes): unknown {
  if (text === null) return null;
  const array = BUILTIN_ARRAYS.get(oid) ?? arrays?.get(oid);
  if (!array) return scalar(text, oid);
  try {
    return parseArrayLiteral(text, array.delim, (element) => toJsonValue(element, array.elem, arrays));
  } catch {
    // A literal this parser does not understand is still a faithful value as text.
    return text;
  }
}

/** Parses `{a,"b c",NULL,{…}}` (optionally prefixed by bounds like `[0:1]=`) into nested arrays. */
export function parseArrayLiteral(text: string, delim: string, element: (s: string) => unknown): unknown[] {
  let i = text.startsWith("[") ? text.indexOf("=") + 1 : 0;
  const fail = () => new Error(`malformed array literal at ${i}`);
  const level = (): unknown[] => {
    if (text[i] !== "{") throw fail();
    i++;
    const out: unknown[] = [];
    if (text[i] === "}") {
      i++;
      return out;
    }
    for (;;) {
      if (text[i] === "{") out.push(level());
      else if (text[i] === '"') {
        let s = "";
        for (i++; text[i] !== '"'; i++) {
          if (i >= text.length) throw fail();
          if (text[i] === "\\") i++;
          s += text[i];
        }
        i++;
        out.push(element(s));
      } else {
        const start = i;
        while (i < text.length && text[i] !== delim && text[i] !== "}") i++;
        const raw = text.slice(start, i);
        out.push(raw === "NULL" ? null : element(raw));
      }
      if (text[i] === delim) i++;
      else if (text[i] === "}") {
        i++;
        return out;
      } else throw fail();
    }
  };
  const result = level();
  if (i !== text.length) throw fail();
  return result;
}

/** Rows of a raw result as objects with converted values (a later duplicate column name wins). */
export function rowsToObjects<T>(raw: RawResult, arrays?: ArrayTypes): T[] {
  return raw.rows.map((row) => {
    const out: Record<string, unknown> = {};
    raw.columns.forEach((c, i) => {
      out[c.name] = toJsonValue(row[i] ?? null, c.typeOid, arrays);
    });
    return out as T;
  });
}

/**
 * A query parameter as PostgreSQL text, so both drivers send the same thing and PostgreSQL infers the type
 * from the statement (`$1::text[]`, `$2::int`).
 */
export function toParam(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `\\x${[...value].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  if (Array.isArray(value)) return arrayLiteral(value);
  return JSON.stringify(value);
}

function arrayLiteral(values: readonly unknown[]): string {
  const items = values.map((v) => {
    if (Array.isArray(v)) return arrayLiteral(v);
    const text = toParam(v);
    return text === null ? "NULL" : `"${text.replace(/[\\"]/g, "\\$&")}"`;
  });
  return `{${items.join(",")}}`;
}
