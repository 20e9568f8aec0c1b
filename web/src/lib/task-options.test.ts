import { describe, expect, it } from "vitest";
import { initialValues, labelOf, optionFields, toOptions } from "./task-options";
import { toRows, toVariables } from "./variables";

describe("task options form", () => {
  const fields = optionFields();

  it("takes names, defaults, limits and help text from the engine's schema", () => {
    const parallel = fields.find((f) => f.name === "parallelTables")!;
    expect(parallel).toMatchObject({ kind: "integer", defaultValue: 2, min: 1, max: 16, label: "Parallel tables" });
    expect(parallel.help).toMatch(/at the same time/);
    expect(fields.find((f) => f.name === "targetTableMode")).toMatchObject({ kind: "enum", defaultValue: "drop_and_create", choices: ["drop_and_create", "truncate", "append"] });
    expect(fields.find((f) => f.name === "validate")).toMatchObject({ kind: "boolean", defaultValue: true });
    expect(fields.find((f) => f.name === "targetSchema")).toMatchObject({ kind: "string", defaultValue: undefined });
    expect(labelOf("retryDelaySeconds")).toBe("Retry delay seconds");
  });

  it("round-trips defaults into the API's options", () => {
    const values = initialValues(fields);
    expect(values.chunkRows).toBe("4000000");
    expect(values.targetSchema).toBe("");
    const result = toOptions(fields, values);
    expect(result).toEqual({
      ok: true,
      options: { parallelTables: 2, chunkRows: 4_000_000, maxRetries: 3, retryDelaySeconds: 5, targetTableMode: "drop_and_create", validate: true },
    });
  });

  it("shows an existing task's values", () => {
    expect(initialValues(fields, { chunkRows: 5000, validate: false, targetSchema: "copy" })).toMatchObject({ chunkRows: "5000", validate: false, targetSchema: "copy" });
  });

  it("reports invalid values per field", () => {
    const result = toOptions(fields, { ...initialValues(fields), parallelTables: "99", chunkRows: "1.5" });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(Object.keys(result.errors).sort()).toEqual(["chunkRows", "parallelTables"]);
    }
  });
});

describe("variables rows", () => {
  it("converts rows to variables, skipping blank rows", () => {
    expect(toVariables([{ key: "region", value: "eu" }, { key: "", value: "" }])).toEqual({ variables: { region: "eu" }, errors: {} });
    expect(toRows({ a: "1" })).toEqual([{ key: "a", value: "1" }]);
  });

  it("flags bad and repeated names", () => {
    const { errors } = toVariables([{ key: "1x", value: "" }, { key: "a", value: "1" }, { key: "a", value: "2" }]);
    expect(Object.keys(errors)).toEqual(["0", "2"]);
  });
});
