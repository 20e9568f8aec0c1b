import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { backoffDelay, connectTaskEvents, eventsUrl, parseEvent, type SocketLike } from "./events";
import type { TaskEvent } from "./types";

class FakeSocket implements SocketLike {
  static all: FakeSocket[] = [];
  onopen: SocketLike["onopen"] = null;
  onmessage: SocketLike["onmessage"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;
  sent: string[] = [];
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.closed = true;
  }
  open() {
    this.onopen?.({});
  }
  message(data: unknown) {
    this.onmessage?.({ data: JSON.stringify(data) });
  }
  drop() {
    this.onclose?.({ code: 1006 });
  }
}

const progress = { type: "progress", runId: "run_1", status: "running" };

describe("task events socket", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
  });
  afterEach(() => vi.useRealTimers());

  const connect = (events: TaskEvent[] = [], states: string[] = []) =>
    connectTaskEvents("tsk_1", {
      onEvent: (e) => events.push(e),
      onState: (s) => states.push(s),
      createSocket: (url) => new FakeSocket(url),
      location: { protocol: "https:", host: "app.example" },
      pingIntervalMs: 1000,
      backoff: { baseMs: 100, maxMs: 1000, random: () => 1 },
    });

  it("picks ws or wss by the page's protocol", () => {
    expect(eventsUrl("tsk_1", { protocol: "http:", host: "127.0.0.1:8787" })).toBe("ws://127.0.0.1:8787/api/v1/tasks/tsk_1/events");
    expect(eventsUrl("a b", { protocol: "https:", host: "x.test" })).toBe("wss://x.test/api/v1/tasks/a%20b/events");
  });

  it("backs off exponentially with jitter, capped", () => {
    const opts = { baseMs: 500, maxMs: 15_000 };
    expect(backoffDelay(1, { ...opts, random: () => 0 })).toBe(250);
    expect(backoffDelay(1, { ...opts, random: () => 1 })).toBe(500);
    expect(backoffDelay(3, { ...opts, random: () => 1 })).toBe(2000);
    expect(backoffDelay(50, { ...opts, random: () => 1 })).toBe(15_000);
    expect(backoffDelay(50, { ...opts, random: () => 0 })).toBe(7500);
  });

  it("parses known events only", () => {
    expect(parseEvent(JSON.stringify(progress))).toEqual(progress);
    expect(parseEvent('{"type":"idle"}')).toEqual({ type: "idle" });
    expect(parseEvent("not json")).toBeNull();
    expect(parseEvent('{"type":"other"}')).toBeNull();
    expect(parseEvent(new ArrayBuffer(2))).toBeNull();
  });

  it("delivers events and reconnects with growing delays after drops", () => {
    const events: TaskEvent[] = [];
    const states: string[] = [];
    const conn = connect(events, states);
    expect(FakeSocket.all).toHaveLength(1);
    expect(FakeSocket.all[0]!.url).toBe("wss://app.example/api/v1/tasks/tsk_1/events");
    FakeSocket.all[0]!.open();
    FakeSocket.all[0]!.message(progress);
    FakeSocket.all[0]!.message({ type: "pong" });
    expect(events).toEqual([progress]);

    FakeSocket.all[0]!.drop();
    expect(states.at(-1)).toBe("reconnecting");
    vi.advanceTimersByTime(99);
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(2);
    // Fails again before any message: the delay doubles.
    FakeSocket.all[1]!.drop();
    vi.advanceTimersByTime(199);
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(3);
    // A message resets the backoff.
    FakeSocket.all[2]!.open();
    FakeSocket.all[2]!.message(progress);
    FakeSocket.all[2]!.drop();
    vi.advanceTimersByTime(100);
    expect(FakeSocket.all).toHaveLength(4);
    conn.close();
  });

  it("pings, and reconnects when the socket goes silent", () => {
    connect();
    const s = FakeSocket.all[0]!;
    s.open();
    vi.advanceTimersByTime(1000);
    expect(s.sent).toEqual(["ping"]);
    vi.advanceTimersByTime(2000);
    expect(s.closed).toBe(true);
    vi.advanceTimersByTime(100);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it("stops for good on close()", () => {
    const states: string[] = [];
    const conn = connect([], states);
    const s = FakeSocket.all[0]!;
    s.open();
    conn.close();
    expect(s.closed).toBe(true);
    expect(states.at(-1)).toBe("closed");
    s.drop();
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it("reconnects at once when asked", () => {
    const conn = connect();
    FakeSocket.all[0]!.drop();
    conn.reconnectNow();
    expect(FakeSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(10_000);
    expect(FakeSocket.all).toHaveLength(2);
    conn.close();
  });
});
