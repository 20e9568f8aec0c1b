/**
 * A minimal DTaaS webhook receiver: verifies `DTaaS-Signature` over the raw body and prints the event.
 *
 *   WEBHOOK_SECRET=whsec_… npx tsx scripts/webhook-receiver.ts [port]
 *
 * Then register http://<this host>:<port>/ with POST /api/v1/webhooks. See docs/webhooks.md.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { fileURLToPath } from "node:url";
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verifySignature, type VerifyResult } from "../worker/src/webhooks/signature";

export interface VerifiedDelivery {
  id: string;
  event: string;
  payload: unknown;
}

/**
 * Checks one delivery: the signature over the body exactly as received, then the JSON. Answer 2xx only
 * for a verified delivery; deduplicate on the delivery id, since a delivery can arrive more than once.
 */
export async function verifyDelivery(
  secret: string,
  rawBody: string,
  headers: IncomingHttpHeaders,
): Promise<{ ok: true; delivery: VerifiedDelivery } | { ok: false; reason: Exclude<VerifyResult, { ok: true }>["reason"] }> {
  const header = headers[SIGNATURE_HEADER.toLowerCase()];
  const result = await verifySignature(secret, rawBody, Array.isArray(header) ? header[0] : header);
  if (!result.ok) return { ok: false, reason: result.reason };
  return {
    ok: true,
    delivery: { id: String(headers[DELIVERY_HEADER.toLowerCase()]), event: String(headers[EVENT_HEADER.toLowerCase()]), payload: JSON.parse(rawBody) },
  };
}

/** An HTTP server that verifies every POST and hands verified deliveries to `onDelivery`. */
export function createReceiver(secret: string, onDelivery: (d: VerifiedDelivery) => void): Server {
  const seen = new Set<string>();
  return createServer((req, res) => {
    if (req.method !== "POST") return void res.writeHead(405).end();
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      verifyDelivery(secret, Buffer.concat(chunks).toString("utf8"), req.headers).then(
        (v) => {
          if (!v.ok) return void res.writeHead(400).end(`signature ${v.reason}`);
          if (!seen.has(v.delivery.id)) {
            seen.add(v.delivery.id);
            onDelivery(v.delivery);
          }
          res.writeHead(204).end();
        },
        () => res.writeHead(400).end("malformed body"),
      );
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) {
    console.error("Set WEBHOOK_SECRET to the secret POST /api/v1/webhooks returned.");
    process.exit(2);
  }
  const port = Number(process.argv[2] ?? 8790);
  createReceiver(secret, (d) => console.log(`${d.event} ${d.id} ${JSON.stringify(d.payload)}`)).listen(port, () =>
    console.log(`webhook receiver on http://127.0.0.1:${port}/`),
  );
}
