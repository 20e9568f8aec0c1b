import { describe, expect, it } from "vitest";
import { buildConnectionUrl, maskConnectionUrl, parseConnectionUrl } from "./connection-url";

describe("connection URLs", () => {
  it("parses and rebuilds with special characters, IPv6 and parameters", () => {
    const p = parseConnectionUrl("postgresql://us%40er:p%3Aw%2Fd@[::1]:6000/my%20db?sslmode=require&application_name=x");
    expect(p).toEqual({ host: "::1", port: 6000, database: "my db", user: "us@er", password: "p:w/d", params: [["sslmode", "require"], ["application_name", "x"]] });
    expect(parseConnectionUrl(buildConnectionUrl(p))).toEqual(p);
    expect(maskConnectionUrl(p)).toBe("postgres://us%40er:****@[::1]:6000/my%20db?sslmode=require&application_name=x");
  });

  it("takes a password given as a parameter and never shows it", () => {
    const p = parseConnectionUrl("postgres://u@h/db?password=hunter2&sslpassword=x");
    expect(p.password).toBe("hunter2");
    expect(maskConnectionUrl(p)).toBe("postgres://u:****@h:5432/db");
  });

  it("defaults the port and shows no mask without a password", () => {
    const p = parseConnectionUrl("postgres://u@h/db");
    expect(p.port).toBe(5432);
    expect(maskConnectionUrl(p)).toBe("postgres://u@h:5432/db");
  });
});
