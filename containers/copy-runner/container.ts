import { Container } from "@cloudflare/containers";
export class CopyRunner extends Container<Env> {
  defaultPort = 8788;
  sleepAfter = "10m";
}
