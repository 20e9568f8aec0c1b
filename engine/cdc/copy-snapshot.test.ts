import { describe, expect, it } from "vitest";
import { parseLsn } from "./lsn";
import { CopiedBefore, parseTxidSnapshot } from "./copy-snapshot";

describe("CopiedBefore", () => {
  const at = parseLsn("0/5000");
  const before = parseLsn("0/4FFF");

  it("parses txid_current_snapshot() text", () => {
    expect(parseTxidSnapshot("748:752:748,750", "0/5000")).toEqual({ xmin: "748", xmax: "752", xip: ["748", "750"], lsn: "0/5000" });
    expect(parseTxidSnapshot("900:900:", "1/0")).toEqual({ xmin: "900", xmax: "900", xip: [], lsn: "1/0" });
    expect(() => parseTxidSnapshot("748:752", "0/0")).toThrow(/not a txid snapshot/);
  });

  it("saw what committed before the snapshot, not what was in progress or began after it", () => {
    const copied = new CopiedBefore(parseTxidSnapshot("748:752:748,750", "0/5000"));
    expect([700, 747, 749, 751].map((x) => copied.saw(x, before))).toEqual([true, true, true, true]);
    expect([748, 750, 752, 800].map((x) => copied.saw(x, before))).toEqual([false, false, false, false]);
    expect(copied.saw(749, at)).toBe(true);
  });

  it("never takes a transaction that committed after the snapshot's WAL position for one it saw", () => {
    const copied = new CopiedBefore(parseTxidSnapshot("748:752:", "0/5000"));
    expect(copied.saw(749, parseLsn("0/5001"))).toBe(false);
    expect(copied.saw(10, parseLsn("1/0"))).toBe(false);
  });

  it("compares 32-bit xids across an epoch boundary as PostgreSQL does", () => {
    // Epoch 1 (2^32 + n): pgoutput sends the low 32 bits.
    const epoch = 2n ** 32n;
    const copied = new CopiedBefore(parseTxidSnapshot(`${epoch - 5n}:${epoch + 3n}:${epoch + 1n}`, "0/5000"));
    expect(copied.saw(2 ** 32 - 10, before)).toBe(true); // before xmin, in the previous epoch
    expect(copied.saw(2 ** 32 - 2, before)).toBe(true); // between xmin and xmax, committed
    expect(copied.saw(0, before)).toBe(true);
    expect(copied.saw(1, before)).toBe(false); // in progress
    expect(copied.saw(3, before)).toBe(false); // xmax: began after the snapshot
  });
});
