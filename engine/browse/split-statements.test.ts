import { describe, expect, it } from "vitest";
import { splitStatements } from "./split-statements";

const texts = (sql: string) => splitStatements(sql).map((s) => sql.slice(s.start, s.end));
const firsts = (sql: string) => splitStatements(sql).map((s) => s.first);

describe("splitStatements", () => {
  it("splits at top-level semicolons and drops empty statements", () => {
    expect(texts("select 1; drop table x")).toEqual(["select 1", "drop table x"]);
    expect(texts(" select 1 ;; ;\n")).toEqual(["select 1"]);
    expect(texts("-- only a comment\n/* and another */")).toEqual([]);
  });

  it("ignores semicolons in strings, identifiers, dollar quotes and comments", () => {
    const sql = `SELECT 'a;b', E'c\\';d', 'e'';f', "g;h", $$i;j$$, $t$k;$$;l$t$, U&'m;n' -- o;p
      /* q; /* nested ; */ r; */ FROM x`;
    expect(texts(sql)).toEqual([sql]);
  });

  it("keeps the comment-free edges and the first token", () => {
    const sql = "/* lead */ -- line\n  WITH a AS (select 1) table a -- tail";
    expect(texts(sql)).toEqual(["WITH a AS (select 1) table a"]);
    expect(firsts(sql)).toEqual(["with"]);
    expect(firsts("(select 1)")).toEqual(["("]);
    expect(firsts("Begin; COMMIT")).toEqual(["begin", "commit"]);
  });

  it("does not take parameters or $ inside identifiers for dollar quotes", () => {
    expect(texts("select $1; select a$b$ from t; select 2")).toEqual(["select $1", "select a$b$ from t", "select 2"]);
  });

  it("runs an unterminated quote or comment to the end, hiding nothing the server would split", () => {
    expect(texts("select 'abc; commit")).toEqual(["select 'abc; commit"]);
    expect(texts("select 1 /* a /* b */ ; commit")).toEqual(["select 1"]);
    expect(texts("select $x$ ; commit")).toEqual(["select $x$ ; commit"]);
  });

  it("does not treat a standard string's backslash as an escape", () => {
    expect(texts("select 'a\\'; commit; --'")).toEqual(["select 'a\\'", "commit"]);
  });
});
