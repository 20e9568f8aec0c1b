import { AppError } from "../../../engine/errors/app-error";

/** The parts of a PostgreSQL connection; `password` is the only secret. */
export interface ConnectionParts {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** Query parameters such as sslmode, kept in order. */
  params: [string, string][];
}

const invalid = (message: string) => new AppError("INVALID_CONNECTION_URL", message, { status: 400 });
const SECRET_PARAMS = /^(password|sslpassword|passfile|sslkey)$/i;

/** Parses a `postgres://` or `postgresql://` URL; errors never echo the URL (it holds a password). */
export function parseConnectionUrl(text: string): ConnectionParts {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid("The connection URL is not a valid URL; expected postgres://user:password@host:5432/database.");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw invalid("The connection URL must start with postgres:// or postgresql://.");
  }
  const host = decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, "$1");
  if (!host) throw invalid("The connection URL has no host.");
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (!database || database.includes("/")) throw invalid("The connection URL must name one database, e.g. /mydb.");
  const user = decodeURIComponent(url.username);
  if (!user) throw invalid("The connection URL has no user name.");
  const port = url.port ? Number(url.port) : 5432;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid("The port must be between 1 and 65535.");
  const params = [...url.searchParams.entries()];
  const passwordParam = params.find(([k]) => k.toLowerCase() === "password");
  return {
    host,
    port,
    database,
    user,
    password: decodeURIComponent(url.password) || passwordParam?.[1] || "",
    params: params.filter(([k]) => k.toLowerCase() !== "password"),
  };
}

function build(parts: ConnectionParts, password: string | null): string {
  const host = parts.host.includes(":") ? `[${parts.host}]` : parts.host;
  const auth = encodeURIComponent(parts.user) + (password === null ? "" : `:${password}`);
  const query = parts.params.length ? `?${parts.params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")}` : "";
  return `postgres://${auth}@${host}:${parts.port}/${encodeURIComponent(parts.database)}${query}`;
}

export function buildConnectionUrl(parts: ConnectionParts): string {
  return build(parts, parts.password ? encodeURIComponent(parts.password) : null);
}

/** The URL safe to show: the password replaced by `****`, secret-looking parameters dropped. */
export function maskConnectionUrl(parts: ConnectionParts): string {
  const safe = { ...parts, params: parts.params.filter(([k]) => !SECRET_PARAMS.test(k)) };
  return build(safe, parts.password ? "****" : null);
}
