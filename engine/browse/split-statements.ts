/**
 * A small SQL lexer that finds statement boundaries the way PostgreSQL does (with
 * standard_conforming_strings on, which the browser sets for its transaction): a `;` counts only outside
 * '…' strings (E'…' with backslash escapes), "…" identifiers, $tag$…$tag$ dollar quotes, -- comments and
 * nested /* … *\/ comments. An unterminated quote or comment runs to the end of the text, as in
 * PostgreSQL, so it can never hide a `;` the server would see.
 */

export interface Statement {
  /** UTF-16 offsets in the input of the first and after the last token (comments at the edges excluded). */
  start: number;
  end: number;
  /** The first token lower-cased: a keyword such as `select`, or a character such as `(`. */
  first: string;
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

export function splitStatements(sql: string): Statement[] {
  const statements: Statement[] = [];
  let current: Statement | null = null;
  const token = (start: number, end: number, text: string) => {
    if (current) current.end = end;
    else current = { start, end, first: text.toLowerCase() };
  };
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    const start = i;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "-" && next === "-") {
      const nl = sql.indexOf("\n", i);
      i = nl === -1 ? sql.length : nl + 1;
    } else if (c === "/" && next === "*") {
      i = skipBlockComment(sql, i);
    } else if (c === ";") {
      if (current) statements.push(current);
      current = null;
      i++;
    } else if (c === "'") {
      i = skipQuoted(sql, i, "'", false);
      token(start, i, c);
    } else if (c === '"') {
      i = skipQuoted(sql, i, '"', false);
      token(start, i, c);
    } else if (c === "$" && dollarTagAt(sql, i)) {
      const tag = dollarTagAt(sql, i)!;
      const close = sql.indexOf(tag, i + tag.length);
      i = close === -1 ? sql.length : close + tag.length;
      token(start, i, c);
    } else if (IDENT_START.test(c)) {
      while (i < sql.length && IDENT_PART.test(sql[i]!)) i++;
      const word = sql.slice(start, i);
      if (sql[i] === "'" && /^e$/i.test(word)) {
        i = skipQuoted(sql, i, "'", true);
      } else if (sql[i] === "&" && /^u$/i.test(word) && (sql[i + 1] === "'" || sql[i + 1] === '"')) {
        // U&'…' and U&"…" escape with \XXXX but end only at an undoubled quote, like plain ones.
        i = skipQuoted(sql, i + 1, sql[i + 1]!, false);
      } else if (sql[i] === "'" && /^[bxn]$/i.test(word)) {
        i = skipQuoted(sql, i, "'", false);
      }
      token(start, i, word);
    } else {
      i++;
      token(start, i, c);
    }
  }
  if (current) statements.push(current);
  return statements;
}

/** `$tag$` or `$$` starting at `i`, else null (`$1` is a parameter, not a quote). */
function dollarTagAt(sql: string, i: number): string | null {
  DOLLAR_TAG.lastIndex = i;
  return DOLLAR_TAG.test(sql) ? sql.slice(i, DOLLAR_TAG.lastIndex) : null;
}

/** Index after the closing quote (a doubled quote is an escaped one; with `backslash`, so is \'). */
function skipQuoted(sql: string, open: number, quote: string, backslash: boolean): number {
  let i = open + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslash && c === "\\") i += 2;
    else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

function skipBlockComment(sql: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < sql.length) {
    if (sql[i] === "/" && sql[i + 1] === "*") {
      depth++;
      i += 2;
    } else if (sql[i] === "*" && sql[i + 1] === "/") {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return sql.length;
}
