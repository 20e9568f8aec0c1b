import { timingSafeEqual, toHex } from "../lib/encoding";

/**
 * Webhook signatures: `DTaaS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`.
 * WebCrypto only, and no import beyond lib/encoding, so the same code signs in the Worker and verifies in
 * Node (scripts/webhook-receiver.ts); a receiver may copy this file.
 */
export const SIGNATURE_HEADER = "DTaaS-Signature";
export const EVENT_HEADER = "DTaaS-Event";
export const DELIVERY_HEADER = "DTaaS-Delivery";

/** How far a signature's timestamp may be from the receiver's clock: bounds replays of a captured request. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

async function hmacSha256Hex(secret: string, text: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toHex(await crypto.subtle.sign("HMAC", key, enc.encode(text)));
}

export async function signatureHeader(secret: string, body: string, timestampSeconds: number): Promise<string> {
  return `t=${timestampSeconds},v1=${await hmacSha256Hex(secret, `${timestampSeconds}.${body}`)}`;
}

/** `t` and every `v1` of a header; null when it has no timestamp or no v1 signature. */
export function parseSignatureHeader(header: string): { timestamp: number; signatures: string[] } | null {
  let timestamp = NaN;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    const [key, value] = [part.slice(0, eq).trim(), part.slice(eq + 1).trim()];
    if (key === "t" && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === "v1" && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  return Number.isSafeInteger(timestamp) && signatures.length ? { timestamp, signatures } : null;
}

export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: "malformed" | "expired" | "mismatch" };

/**
 * Checks a delivery the way a receiver should: over the raw body bytes as received (not re-serialised
 * JSON), with the timestamp within `toleranceSeconds` of now, comparing in constant time.
 */
export async function verifySignature(
  secret: string,
  body: string,
  header: string | null | undefined,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): Promise<VerifyResult> {
  const parsed = header ? parseSignatureHeader(header) : null;
  if (!parsed) return { ok: false, reason: "malformed" };
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - parsed.timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return { ok: false, reason: "expired" };
  const expected = await hmacSha256Hex(secret, `${parsed.timestamp}.${body}`);
  return parsed.signatures.some((s) => timingSafeEqual(s, expected)) ? { ok: true, timestamp: parsed.timestamp } : { ok: false, reason: "mismatch" };
}
