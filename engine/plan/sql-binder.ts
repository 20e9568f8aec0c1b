import { quoteLiteral } from "../ddl/quote";

/**
 * Puts a value into SQL text, always as text cast to an explicit type, so the value is parsed by the
 * type's input function exactly as a literal would be. Two ways: `$n` parameters (normal statements) and
 * quoted literals (inside `COPY (…) TO STDOUT`, which takes no parameters). Builders of WHERE clauses take
 * a Binder and never splice values themselves.
 */
export interface Binder {
  value(text: string, castType: string): string;
}

export interface ParamBinder extends Binder {
  readonly params: string[];
}

/** Binds `$1…$n`; start after `offset` when the statement already has parameters. */
export function paramBinder(offset = 0): ParamBinder {
  const params: string[] = [];
  return {
    params,
    value(text, castType) {
      params.push(text);
      return `$${offset + params.length}::${castType}`;
    },
  };
}

export const literalBinder: Binder = {
  value: (text, castType) => `${quoteLiteral(text)}::${castType}`,
};

/** `a AND b`, or `TRUE` when there is nothing to test. */
export function andAll(conditions: string[]): string {
  const kept = conditions.filter((c) => c !== "");
  return kept.length === 0 ? "TRUE" : kept.map((c) => `(${c})`).join(" AND ");
}
