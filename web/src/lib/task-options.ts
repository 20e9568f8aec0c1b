/**
 * The task options form, derived from the engine's own schema (engine/task-config.ts), so names,
 * defaults, limits and help text cannot drift from what the API validates.
 */
import { z } from "zod";
import { TaskOptions } from "../../../engine/task-config";

export interface OptionField {
  name: keyof TaskOptions;
  label: string;
  kind: "integer" | "boolean" | "enum" | "string";
  help: string;
  /** undefined: optional with no default (left out when empty). */
  defaultValue: number | boolean | string | undefined;
  min?: number;
  max?: number;
  choices?: string[];
}

/** Form state: text inputs hold strings, checkboxes booleans. */
export type OptionValues = Record<string, string | boolean>;

interface JsonProp {
  type?: string;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  enum?: string[];
}

/** "retryDelaySeconds" → "Retry delay seconds". */
export function labelOf(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function optionFields(): OptionField[] {
  const schema = z.toJSONSchema(TaskOptions, { io: "input" }) as { properties: Record<string, JsonProp> };
  return Object.entries(schema.properties).map(([name, p]) => ({
    name: name as keyof TaskOptions,
    label: labelOf(name),
    kind: p.enum ? "enum" : p.type === "integer" || p.type === "number" ? "integer" : p.type === "boolean" ? "boolean" : "string",
    help: p.description ?? "",
    defaultValue: p.default as OptionField["defaultValue"],
    ...(p.minimum !== undefined ? { min: p.minimum } : {}),
    ...(p.maximum !== undefined ? { max: p.maximum } : {}),
    ...(p.enum ? { choices: p.enum } : {}),
  }));
}

/** Form values showing each option's current value (or default; empty for optional ones without). */
export function initialValues(fields: OptionField[], current: Partial<TaskOptions> = {}): OptionValues {
  const values: OptionValues = {};
  for (const f of fields) {
    const v = (current as Record<string, unknown>)[f.name] ?? f.defaultValue;
    values[f.name] = f.kind === "boolean" ? Boolean(v) : v === undefined ? "" : String(v);
  }
  return values;
}

export type OptionsResult = { ok: true; options: TaskOptions } | { ok: false; errors: Record<string, string> };

/** Form values → the `options` object of the API, checked with the engine's schema. */
export function toOptions(fields: OptionField[], values: OptionValues): OptionsResult {
  const raw: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const v = values[f.name];
    if (f.kind === "boolean") raw[f.name] = Boolean(v);
    else if (typeof v === "string" && v.trim() !== "") {
      if (f.kind === "integer") {
        const n = Number(v.trim());
        if (!Number.isInteger(n)) errors[f.name] = "Enter a whole number.";
        else raw[f.name] = n;
      } else raw[f.name] = v.trim();
    }
  }
  const parsed = TaskOptions.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? "options");
      errors[key] ??= issue.message;
    }
  }
  if (Object.keys(errors).length > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, options: parsed.data };
}
