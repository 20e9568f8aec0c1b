import { describe, expect, it } from "vitest";
import type { Connector } from "./api/types";
import { connectorBody, emptyConnectorForm } from "./connector-input";

const existing: Connector = {
  id: "con_1", name: "src", kind: "postgres", url: "postgres://app:***@db:5432/shop", host: "db", port: 5432, database: "shop", user: "app", createdAt: 1, updatedAt: 1,
};

describe("connector form body", () => {
  it("creates from a URL", () => {
    const v = { ...emptyConnectorForm(), name: " src ", url: "postgres://u:p@h:5432/d" };
    expect(connectorBody(v)).toEqual({ ok: true, body: { name: "src", kind: "postgres", url: "postgres://u:p@h:5432/d" } });
    expect(connectorBody({ ...v, url: "mysql://x" })).toMatchObject({ ok: false });
    expect(connectorBody({ ...v, url: "" })).toMatchObject({ ok: false });
    expect(connectorBody({ ...v, name: "" })).toMatchObject({ ok: false });
  });

  it("creates from discrete fields", () => {
    const v = { ...emptyConnectorForm(), via: "fields" as const, name: "t", host: "h", port: "6543", database: "d", user: "u", password: "pw", sslmode: "require" as const };
    expect(connectorBody(v)).toEqual({ ok: true, body: { name: "t", kind: "postgres", host: "h", port: 6543, database: "d", user: "u", password: "pw", sslmode: "require" } });
    expect(connectorBody({ ...v, port: "99999" })).toMatchObject({ ok: false });
    expect(connectorBody({ ...v, host: "" })).toMatchObject({ ok: false });
  });

  it("edits only what changed and keeps the password when it is left empty", () => {
    const v = emptyConnectorForm(existing);
    expect(v.password).toBe("");
    expect(connectorBody(v, existing)).toEqual({ ok: true, body: {} });
    expect(connectorBody({ ...v, host: "db2" }, existing)).toEqual({ ok: true, body: { host: "db2" } });
    expect(connectorBody({ ...v, name: "renamed", password: "new" }, existing)).toEqual({ ok: true, body: { name: "renamed", password: "new" } });
    expect(connectorBody({ ...v, via: "url" }, existing)).toEqual({ ok: true, body: {} });
    expect(connectorBody({ ...v, via: "url", url: "postgres://a:b@c/d" }, existing)).toEqual({ ok: true, body: { url: "postgres://a:b@c/d" } });
  });
});
