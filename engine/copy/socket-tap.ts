import type { Socket } from "node:net";
import { CopyOutSplitter, type CopyDataSink } from "./copy-out-splitter";

/**
 * Direct access to a dedicated connection's transport, shared by every socket postgres.js opens for it
 * (the connection's own, and the short-lived ones it opens to send cancel requests).
 */
export interface RawPath {
  /** The socket the connection's backend talks on: the last one that received data (a cancel socket never does). */
  socket: Socket | null;
  /** Set: the next COPY-out's CopyData messages go here instead of to postgres.js (see CopyOutSplitter). */
  sink: CopyDataSink | null;
}

/**
 * Routes everything `socket` receives through a CopyOutSplitter before postgres.js sees it, by replacing
 * the socket's `emit` for 'data'. Must be installed before the socket receives anything.
 * Hazard: relies on Node's Readable dispatching 'data' through the instance's `emit` (true of every
 * Node version: listeners are EventEmitter's business). Other events pass through unchanged.
 */
export function tapSocket(socket: Socket, path: RawPath): void {
  const splitter = new CopyOutSplitter(() => path.sink);
  const emit = socket.emit as (this: Socket, event: string | symbol, ...args: unknown[]) => boolean;
  const toDriver = (bytes: Buffer) => emit.call(socket, "data", bytes);
  socket.emit = function (this: Socket, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== "data") return emit.apply(this, [event, ...args]);
    path.socket = socket;
    splitter.feed(args[0] as Buffer, toDriver);
    return true;
  } as Socket["emit"];
}
