/**
 * The connector form's values → the body of POST /connectors or PATCH /connectors/:id. The password is
 * never prefilled (the API never returns it); when editing, an empty password is left out so the
 * stored one stays.
 */
import type { ConnectionInput, Connector, ConnectorKind, SslMode } from "./api/types";

export interface ConnectorFormValues {
  name: string;
  kind: ConnectorKind;
  via: "url" | "fields";
  url: string;
  host: string;
  port: string;
  database: string;
  user: string;
  password: string;
  /** "" = leave as is (edit) or the driver's default (create). */
  sslmode: SslMode | "";
}

export function emptyConnectorForm(existing?: Connector): ConnectorFormValues {
  return {
    name: existing?.name ?? "",
    kind: existing?.kind ?? "postgres",
    via: existing ? "fields" : "url",
    url: "",
    host: existing?.host ?? "",
    port: existing ? String(existing.port) : "5432",
    database: existing?.database ?? "",
    user: existing?.user ?? "",
    password: "",
    sslmode: "",
  };
}

export type ConnectorBody = { ok: true; body: ConnectionInput & { name?: string; kind?: ConnectorKind } } | { ok: false; error: string };

export function connectorBody(v: ConnectorFormValues, existing?: Connector): ConnectorBody {
  const name = v.name.trim();
  if (!name) return { ok: false, error: "Give the connector a name." };
  const base = existing ? (name !== existing.name ? { name } : {}) : { name, kind: v.kind };
  if (v.via === "url") {
    const url = v.url.trim();
    if (!url) {
      if (existing) return { ok: true, body: base };
      return { ok: false, error: "Enter the connection URL, e.g. postgres://user:password@host:5432/database." };
    }
    if (!/^postgres(ql)?:\/\//i.test(url)) return { ok: false, error: "The URL must start with postgres:// or postgresql://." };
    return { ok: true, body: { ...base, url } };
  }
  const port = Number(v.port.trim() || "5432");
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, error: "The port is a number from 1 to 65535." };
  if (!v.host.trim() || !v.database.trim() || !v.user.trim()) return { ok: false, error: "Host, database and user are required." };
  const fields: ConnectionInput = {};
  const set = <K extends keyof ConnectionInput>(k: K, value: ConnectionInput[K], current: unknown) => {
    if (!existing || value !== current) fields[k] = value;
  };
  set("host", v.host.trim(), existing?.host);
  set("port", port, existing?.port);
  set("database", v.database.trim(), existing?.database);
  set("user", v.user.trim(), existing?.user);
  if (v.password !== "") fields.password = v.password;
  if (v.sslmode !== "") fields.sslmode = v.sslmode;
  return { ok: true, body: { ...base, ...fields } };
}
