/** Key/value rows of the task form ↔ the task's `variables` object. */

export interface VariableRow {
  key: string;
  value: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function toRows(variables: Record<string, string>): VariableRow[] {
  return Object.entries(variables).map(([key, value]) => ({ key, value }));
}

/** Rows with an empty key and value are ignored; a bad or repeated name is an error for that row index. */
export function toVariables(rows: readonly VariableRow[]): { variables: Record<string, string>; errors: Record<number, string> } {
  const variables: Record<string, string> = {};
  const errors: Record<number, string> = {};
  rows.forEach((row, i) => {
    const key = row.key.trim();
    if (key === "" && row.value === "") return;
    if (!NAME.test(key)) errors[i] = "A variable name is letters, digits and _ and does not start with a digit.";
    else if (key in variables) errors[i] = `${key} is defined twice.`;
    else variables[key] = row.value;
  });
  return { variables, errors };
}
