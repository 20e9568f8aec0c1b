import { describe, expect, it } from "vitest";
import { CopyOutSplitter, type CopyDataSink } from "./copy-out-splitter";

const message = (type: string, body: Buffer | string) => {
  const payload = typeof body === "string" ? Buffer.from(body) : body;
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeUInt32BE(payload.length + 4, 1);
  return Buffer.concat([header, payload]);
};

/** A backend's answer to a COPY-out between two other statements, with a notice inside the COPY. */
function stream(rows: Buffer[]) {
  const before = [message("C", "SELECT 1\0"), message("Z", "I")];
  const copy = [message("H", Buffer.from([1, 0, 0])), ...rows.slice(0, 2).map((r) => message("d", r)), message("N", "Mnotice\0\0"), ...rows.slice(2).map((r) => message("d", r))];
  const after = [message("c", ""), message("C", `COPY ${rows.length}\0`), message("Z", "I"), message("d", "not diverted")];
  const driver = Buffer.concat([...before, copy[0]!, copy[3]!, ...after]);
  const diverted = Buffer.concat([...copy.slice(1, 3), ...copy.slice(4)]);
  return { all: Buffer.concat([...before, ...copy, ...after]), driver, diverted };
}

function run(all: Buffer, cuts: number[], sinkSet = true) {
  const driver: Buffer[] = [];
  const diverted: Buffer[] = [];
  let messages = 0;
  const sink: CopyDataSink = (bytes, n) => {
    diverted.push(Buffer.from(bytes));
    messages += n;
  };
  let armed = sinkSet;
  const splitter = new CopyOutSplitter(() => (armed ? ((armed = false), sink) : null));
  let at = 0;
  for (const cut of [...cuts, all.length]) {
    splitter.feed(all.subarray(at, cut), (b) => driver.push(Buffer.from(b)));
    at = cut;
  }
  return { driver: Buffer.concat(driver), diverted: Buffer.concat(diverted), messages };
}

/** Buffers compared as hex: toEqual walks a Buffer byte by byte, far too slow for hundreds of splits. */
const hex = (r: { driver: Buffer; diverted: Buffer; messages: number }) => ({ driver: r.driver.toString("hex"), diverted: r.diverted.toString("hex"), messages: r.messages });

describe("CopyOutSplitter", () => {
  const rows = [Buffer.alloc(3, 1), Buffer.alloc(0), Buffer.alloc(70_000, 2), Buffer.alloc(1, 3), Buffer.alloc(300, 4)];
  const { all, driver, diverted } = stream(rows);
  const want = hex({ driver, diverted, messages: rows.length });

  it("diverts exactly the CopyData messages of the COPY-out, in one read", () => {
    expect(hex(run(all, []))).toEqual(want);
  });

  it("gives the driver everything when no sink is set", () => {
    expect(hex(run(all, [], false))).toEqual(hex({ driver: all, diverted: Buffer.alloc(0), messages: 0 }));
  });

  it("splits the same way whatever the reads (every cut of headers, bodies and the CopyOutResponse)", () => {
    for (let cut = 1; cut < all.length; cut += cut < 200 || cut > all.length - 200 ? 1 : 997) {
      expect(hex(run(all, [cut]))).toEqual(want);
    }
    for (let seed = 1; seed <= 40; seed++) {
      const cuts: number[] = [];
      let x = seed;
      for (let at = 0; ; ) {
        x = (x * 48271) % 2147483647;
        at += 1 + (x % (seed % 2 ? 97 : 9000));
        if (at >= all.length) break;
        cuts.push(at);
      }
      expect(hex(run(all, cuts))).toEqual(want);
    }
  });
});
