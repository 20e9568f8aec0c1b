import { and, desc, eq, lt, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { badRequest } from "./errors";

/**
 * Keyset pagination over (created_at DESC, id DESC). The cursor is opaque to clients: base64 of
 * `createdAt:id` of the last item returned.
 */
export interface Page {
  limit: number;
  cursor?: string;
}

export function decodeCursor(cursor: string | undefined): { createdAt: number; id: string } | null {
  if (!cursor) return null;
  let text: string;
  try {
    text = atob(cursor);
  } catch {
    throw badRequest("INVALID_CURSOR", "The cursor is not one this API returned.");
  }
  const sep = text.indexOf(":");
  const createdAt = Number(text.slice(0, sep));
  const id = text.slice(sep + 1);
  if (sep < 1 || !Number.isSafeInteger(createdAt) || !id) throw badRequest("INVALID_CURSOR", "The cursor is not one this API returned.");
  return { createdAt, id };
}

export function encodeCursor(item: { createdAt: number; id: string }): string {
  return btoa(`${item.createdAt}:${item.id}`);
}

export function pageWhere(cols: { createdAt: SQLiteColumn; id: SQLiteColumn }, page: Page): SQL | undefined {
  const c = decodeCursor(page.cursor);
  if (!c) return undefined;
  return or(lt(cols.createdAt, c.createdAt), and(eq(cols.createdAt, c.createdAt), lt(cols.id, c.id)));
}

export const pageOrder = (cols: { createdAt: SQLiteColumn; id: SQLiteColumn }) => [desc(cols.createdAt), desc(cols.id)];

/** Call with limit+1 rows fetched: trims the extra row and makes the next cursor from the last kept one. */
export function toPage<T extends { createdAt: number; id: string }, U>(rows: T[], page: Page, map: (row: T) => U) {
  const more = rows.length > page.limit;
  const kept = more ? rows.slice(0, page.limit) : rows;
  const last = kept[kept.length - 1];
  return { items: kept.map(map), nextCursor: more && last ? encodeCursor(last) : null };
}
