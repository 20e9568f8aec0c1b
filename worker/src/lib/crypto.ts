import { AppError } from "../../../engine/errors/app-error";
import { fromBase64, toBase64, toBase64Url, toHex, timingSafeEqual } from "./encoding";

const enc = new TextEncoder();
// workerd caps PBKDF2 at 100 000 iterations.
const PBKDF2_ITERATIONS = 100_000;

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await pbkdf2(password, salt, PBKDF2_ITERATIONS);
  return `pbkdf2-sha256$${PBKDF2_ITERATIONS}$${toBase64(salt)}$${toBase64(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, iter, salt, hash] = stored.split("$");
  if (scheme !== "pbkdf2-sha256" || !iter || !salt || !hash) return false;
  const actual = await pbkdf2(password, fromBase64(salt), Number(iter));
  return timingSafeEqual(toBase64(actual), hash);
}

async function pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

export async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", enc.encode(text)));
}

export async function hmacSha256Hex(secret: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toHex(await crypto.subtle.sign("HMAC", key, enc.encode(text)));
}

export function randomToken(bytes = 32): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

const keyCache = new Map<string, Promise<CryptoKey>>();

function aesKey(encryptionKey: string): Promise<CryptoKey> {
  let key = keyCache.get(encryptionKey);
  if (!key) {
    const raw = encryptionKey ? fromBase64(encryptionKey) : new Uint8Array();
    if (raw.length !== 32) {
      throw new AppError("SERVER_MISCONFIGURED", "ENCRYPTION_KEY must be the base64 of 32 bytes.", { status: 500 });
    }
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keyCache.set(encryptionKey, key);
  }
  return key;
}

/**
 * AES-256-GCM. `context` is bound as additional data, so a ciphertext copied onto another record
 * (another connector id) fails to decrypt. Format: `v1:` + base64(iv ‖ ciphertext).
 */
export async function encryptSecret(encryptionKey: string, plaintext: string, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: enc.encode(context) },
    await aesKey(encryptionKey),
    enc.encode(plaintext),
  );
  const out = new Uint8Array(iv.length + ct.byteLength);
  out.set(iv);
  out.set(new Uint8Array(ct), iv.length);
  return `v1:${toBase64(out)}`;
}

export async function decryptSecret(encryptionKey: string, stored: string, context: string): Promise<string> {
  if (!stored.startsWith("v1:")) throw new AppError("SECRET_UNREADABLE", "A stored secret has an unknown format.", { status: 500 });
  const raw = fromBase64(stored.slice(3));
  try {
    const pt = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: raw.slice(0, 12), additionalData: enc.encode(context) },
      await aesKey(encryptionKey),
      raw.slice(12),
    );
    return new TextDecoder().decode(pt);
  } catch (cause) {
    throw new AppError("SECRET_UNREADABLE", "A stored secret could not be decrypted (was ENCRYPTION_KEY changed?).", { status: 500, cause });
  }
}
