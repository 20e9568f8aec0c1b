/**
 * Whether a URL host names this machine or a private network: `localhost` (and `*.localhost`), or an IP
 * literal in a loopback, private, link-local, CGNAT or unspecified range (IPv4, IPv6, IPv4-mapped IPv6).
 * A webhook posting there from production would reach nothing or something it should not; a name that
 * merely resolves to such an address is not caught here (Workers resolve names only when fetching).
 */
export function isInternalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const v4 = parseIpv4(host);
  if (v4) return internalIpv4(v4);
  if (!host.includes(":")) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  if (mapped) return internalIpv4(parseIpv4(mapped[1]!) ?? [0, 0, 0, 0]);
  const first = parseInt(host.split(":")[0] || "0", 16);
  return host === "::" || host === "::1" || (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
}

function parseIpv4(host: string): number[] | null {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.map(Number);
}

function internalIpv4([a, b]: number[]): boolean {
  return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168) || (a === 100 && b! >= 64 && b! <= 127);
}
