import { describe, expect, it } from "vitest";
import { hmacSha256Hex } from "../lib/crypto";
import { parseSignatureHeader, signatureHeader, verifySignature } from "./signature";

const secret = "whsec_test";
const body = '{"id":"whd_1","event":"run.succeeded"}';

describe("webhook signatures", () => {
  it("signs t.body with HMAC-SHA256 and verifies it", async () => {
    const header = await signatureHeader(secret, body, 1_700_000_000);
    expect(header).toBe(`t=1700000000,v1=${await hmacSha256Hex(secret, `1700000000.${body}`)}`);
    expect(await verifySignature(secret, body, header, { nowSeconds: 1_700_000_100 })).toEqual({ ok: true, timestamp: 1_700_000_000 });
  });

  it("rejects tampering, a wrong secret, stale timestamps and malformed headers", async () => {
    const header = await signatureHeader(secret, body, 1_700_000_000);
    const now = { nowSeconds: 1_700_000_000 };
    expect(await verifySignature(secret, body.replace("succeeded", "failed"), header, now)).toEqual({ ok: false, reason: "mismatch" });
    expect(await verifySignature("whsec_other", body, header, now)).toEqual({ ok: false, reason: "mismatch" });
    expect(await verifySignature(secret, body, header.replace("t=1700000000", "t=1700000001"), now)).toEqual({ ok: false, reason: "mismatch" });
    expect(await verifySignature(secret, body, header, { nowSeconds: 1_700_000_301 })).toEqual({ ok: false, reason: "expired" });
    expect(await verifySignature(secret, body, header, { nowSeconds: 1_700_000_301, toleranceSeconds: 600 })).toMatchObject({ ok: true });
    for (const bad of [null, "", "v1=abc", "t=1700000000", "t=x,v1=" + "0".repeat(64)]) {
      expect(await verifySignature(secret, body, bad, now)).toEqual({ ok: false, reason: "malformed" });
    }
  });

  it("accepts any of several v1 signatures (as during a secret rotation)", async () => {
    const header = await signatureHeader(secret, body, 1_700_000_000);
    const other = `v1=${"a".repeat(64)}`;
    expect(parseSignatureHeader(`${header},${other}`)?.signatures).toHaveLength(2);
    expect((await verifySignature(secret, body, `t=1700000000,${other},${header.split(",")[1]}`, { nowSeconds: 1_700_000_000 })).ok).toBe(true);
  });
});
