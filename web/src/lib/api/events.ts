/**
 * The task's progress socket (`GET /api/v1/tasks/:id/events`), reconnecting with capped exponential
 * backoff and jitter. The session cookie authenticates it (same origin). Hazards: a socket that drops
 * silently (sleeping laptop, proxy) is caught by the ping watchdog, not by a close event; and every
 * timer is cleared on close() so a stopped client never reconnects behind the page's back.
 */
import { API_BASE } from "./client";
import type { TaskEvent } from "./types";

export type SocketState = "connecting" | "open" | "reconnecting" | "closed";

/** The part of WebSocket this client uses (tests pass a fake). */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface TaskEventsOptions {
  onEvent: (event: TaskEvent) => void;
  onState?: (state: SocketState, info: { attempt: number; retryInMs: number | null }) => void;
  createSocket?: (url: string) => SocketLike;
  location?: { protocol: string; host: string };
  pingIntervalMs?: number;
  backoff?: BackoffOptions;
}

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  random?: () => number;
}

/** ws:// or wss:// by the page's protocol, on the page's host. */
export function eventsUrl(taskId: string, location: { protocol: string; host: string }): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${API_BASE}/tasks/${encodeURIComponent(taskId)}/events`;
}

/** Delay before reconnect attempt `attempt` (1-based): base·2^(n-1), capped, between 50% and 100% of it. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 500;
  const max = options.maxMs ?? 15_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Parses one socket message; anything that is not a known event is dropped (returns null). */
export function parseEvent(data: unknown): TaskEvent | null {
  if (typeof data !== "string") return null;
  try {
    const value = JSON.parse(data) as { type?: unknown };
    if (value && (value.type === "progress" || value.type === "idle" || value.type === "pong")) return value as TaskEvent;
  } catch {
    // A malformed frame is ignored: the next progress message carries the whole state anyway.
  }
  return null;
}

export interface TaskEventsConnection {
  close(): void;
  /** Reconnect now (e.g. after the browser comes back online), skipping the remaining backoff. */
  reconnectNow(): void;
}

export function connectTaskEvents(taskId: string, options: TaskEventsOptions): TaskEventsConnection {
  const create = options.createSocket ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
  const url = eventsUrl(taskId, options.location ?? globalThis.location);
  const pingMs = options.pingIntervalMs ?? 20_000;
  let socket: SocketLike | null = null;
  let attempt = 0;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let pingTimer: ReturnType<typeof setInterval> | null = null;
  let lastHeard = 0;

  const state = (s: SocketState, retryInMs: number | null = null) => options.onState?.(s, { attempt, retryInMs });

  const clearTimers = () => {
    if (retryTimer !== null) clearTimeout(retryTimer);
    if (pingTimer !== null) clearInterval(pingTimer);
    retryTimer = null;
    pingTimer = null;
  };

  const drop = (s: SocketLike) => {
    s.onopen = s.onmessage = s.onclose = s.onerror = null;
    try {
      s.close(1000, "client closing");
    } catch {
      // Closing a socket that never opened may throw; it is being discarded either way.
    }
  };

  const scheduleReconnect = () => {
    clearTimers();
    if (closed) return;
    attempt += 1;
    const delay = backoffDelay(attempt, options.backoff);
    state("reconnecting", delay);
    retryTimer = setTimeout(open, delay);
  };

  function open() {
    clearTimers();
    if (closed) return;
    state("connecting");
    let s: SocketLike;
    try {
      s = create(url);
    } catch {
      scheduleReconnect();
      return;
    }
    socket = s;
    s.onopen = () => {
      lastHeard = Date.now();
      state("open");
      pingTimer = setInterval(() => {
        // Nothing heard for two intervals, not even a pong: the connection is dead without having said so.
        if (Date.now() - lastHeard > 2 * pingMs) {
          drop(s);
          socket = null;
          scheduleReconnect();
          return;
        }
        try {
          s.send("ping");
        } catch {
          // A failing send means the socket is closing; its close event schedules the reconnect.
        }
      }, pingMs);
    };
    s.onmessage = (ev) => {
      lastHeard = Date.now();
      // A message proves the connection works: the next drop starts its backoff from the beginning.
      attempt = 0;
      const event = parseEvent(ev.data);
      if (event && event.type !== "pong") options.onEvent(event);
    };
    s.onerror = () => {
      // Always followed by a close event, which decides about reconnecting.
    };
    s.onclose = () => {
      if (socket === s) socket = null;
      scheduleReconnect();
    };
  }

  open();

  return {
    close() {
      closed = true;
      clearTimers();
      if (socket) drop(socket);
      socket = null;
      state("closed");
    },
    reconnectNow() {
      if (closed) return;
      if (socket) drop(socket);
      socket = null;
      attempt = 0;
      open();
    },
  };
}
