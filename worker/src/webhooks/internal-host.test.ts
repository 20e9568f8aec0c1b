import { describe, expect, it } from "vitest";
import { isInternalHost } from "./internal-host";

describe("isInternalHost", () => {
  it.each([
    "localhost", "api.localhost", "LOCALHOST.", "127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
    "169.254.169.254", "100.64.0.1", "0.0.0.0", "[::1]", "[::]", "[fd00::1]", "[fe80::1]", "[::ffff:10.0.0.1]",
  ])("%s is internal", (host) => expect(isInternalHost(host)).toBe(true));

  it.each(["example.com", "8.8.8.8", "172.32.0.1", "192.169.0.1", "100.128.0.1", "[2606:4700::1111]", "10.example.com", "1.2.3"])(
    "%s is not",
    (host) => expect(isInternalHost(host)).toBe(false),
  );
});
