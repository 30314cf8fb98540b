/**
 * Which addresses Firebreak refuses to send to, and the guarded POST. The ranges are written out
 * here from the IANA special-purpose registries, not read from the module: the properties check
 * the classifier against this table, for addresses drawn at random and in every IPv6 spelling.
 */
import { once } from "node:events";
import http from "node:http";
import { type AddressInfo, BlockList, isIP } from "node:net";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  createOutbound,
  formReason,
  internalHostReason,
  isInternalAddress,
  parseAllowList,
} from "./outbound.ts";

// -- the table ----------------------------------------------------------------------------------

const reservedV4: [string, number][] = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
];
/** IPv6 ranges internal whatever follows the prefix. */
const reservedV6: [string, number][] = [
  ["::", 96], // unspecified, loopback, IPv4-compatible
  ["100::", 64], // discard
  ["64:ff9b:1::", 48], // local-use NAT64
  ["2001::", 23], // IETF protocol assignments, Teredo
  ["2001:db8::", 32], // documentation
  ["3fff::", 20], // documentation
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
];

const oracleV4 = new BlockList();
for (const [n, b] of reservedV4) oracleV4.addSubnet(n, b, "ipv4");

// -- generators ---------------------------------------------------------------------------------

const v4Text = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
const v4Num = (ip: string) => ip.split(".").reduce((n, p) => n * 256 + Number(p), 0);

/** Any IPv4 address, with extra weight on the edges of the reserved ranges. */
const anyV4 = fc.oneof(
  fc.nat({ max: 0xffffffff }).map(v4Text),
  fc
    .tuple(fc.constantFrom(...reservedV4), fc.nat({ max: 0xffffffff }), fc.constantFrom(-1, 0, 1, 2))
    .map(([[net, bits], r, edge]) => {
      const size = 2 ** (32 - bits);
      const base = v4Num(net);
      const at = edge === 2 ? base + (r % size) : edge === 0 ? base : edge < 0 ? base - 1 : base + size;
      return v4Text(Math.min(Math.max(at, 0), 0xffffffff));
    }),
);

/** 128 bits as eight groups. */
const groupsOf = (n: bigint) =>
  Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
const v6Num = (groups: number[]) => groups.reduce((n, g) => (n << 16n) | BigInt(g), 0n);
const prefixNum = (text: string) => {
  const [head = "", tail = ""] = text.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  return v6Num([...h, ...Array(8 - h.length - t.length).fill("0"), ...t].map((g) => Number.parseInt(g, 16)));
};
const bits128 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
/** A random address inside prefix/bits. */
const inside = (prefix: string, bits: number) =>
  bits128.map((r) => {
    const host = (1n << BigInt(128 - bits)) - 1n;
    return (prefixNum(prefix) & ~host) | (r & host);
  });

/** How to write eight groups: case, leading zeros, which run of zeros becomes `::`, a dotted tail. */
const spelling = fc.record({
  upper: fc.boolean(),
  pad: fc.boolean(),
  run: fc.nat({ max: 8 }),
  dotted: fc.boolean(),
});
function spell(groups: number[], s: { upper: boolean; pad: boolean; run: number; dotted: boolean }): string {
  const hex = (g: number) => {
    const t = g.toString(16);
    return s.upper ? (s.pad ? t.padStart(4, "0") : t).toUpperCase() : s.pad ? t.padStart(4, "0") : t;
  };
  const tail = s.dotted ? [v4Text(((groups[6] ?? 0) << 16) | (groups[7] ?? 0))] : [];
  const head = (s.dotted ? groups.slice(0, 6) : groups).map(hex);
  // Runs of zero groups in the hex part: pick the run-th one (if any) to compress.
  const runs: [number, number][] = [];
  for (let i = 0; i < head.length; i++)
    if (Number.parseInt(head[i] ?? "1", 16) === 0) {
      let j = i;
      while (j + 1 < head.length && Number.parseInt(head[j + 1] ?? "1", 16) === 0) j++;
      runs.push([i, j]);
      i = j;
    }
  const pick = runs.length ? runs[s.run % (runs.length + 1)] : undefined;
  if (!pick) return [...head, ...tail].join(":");
  const before = head.slice(0, pick[0]).join(":");
  const after = [...head.slice(pick[1] + 1), ...tail].join(":");
  return `${before}::${after}`;
}
const spelled = (n: bigint) => spelling.map((s) => spell(groupsOf(n), s));

// -- the classifier -----------------------------------------------------------------------------

describe("isInternalAddress", () => {
  it("examples: loopback, private, link-local, CGNAT, documentation, reserved, broadcast", () => {
    for (const ip of [
      "127.0.0.1",
      "10.0.0.1",
      "172.31.255.255",
      "192.168.0.1",
      "100.64.0.1",
      "0.0.0.0",
      "169.254.169.254",
      "192.0.2.1",
      "198.51.100.7",
      "203.0.113.7",
      "240.0.0.1",
      "255.255.255.255",
      "224.0.0.1",
    ])
      expect(isInternalAddress(ip), ip).toBe(true);
    for (const ip of [
      "::",
      "::1",
      "fe80::1",
      "fe80::1%eth0",
      "fc00::1",
      "fd00:ec2::254",
      "2001:db8::1",
      "3fff::1",
      "100::1",
      "2001::1", // Teredo
      "2001:1ff::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "0:0:0:0:0:FFFF:7F00:0001",
      "::ffff:a9fe:a9fe",
      "::127.0.0.1", // IPv4-compatible
      "::8.8.8.8", // IPv4-compatible is deprecated: refused even for a public IPv4
      "64:ff9b::a00:1",
      "64:ff9b::127.0.0.1",
      "64:ff9b:1::808:808",
      "2002:7f00:1::",
      "2002:a9fe:a9fe::1",
      "not an address",
      "",
    ])
      expect(isInternalAddress(ip), ip).toBe(true);
    for (const ip of [
      "93.184.215.14",
      "8.8.8.8",
      "172.32.0.1",
      "100.128.0.1",
      "2606:2800::1",
      "2606:4700::1111",
      "2a00:1450::1",
      "::ffff:8.8.8.8",
      "::ffff:808:808",
      "64:ff9b::8.8.8.8",
      "2002:808:808::1",
    ])
      expect(isInternalAddress(ip), ip).toBe(false);
  });

  it("property: an IPv4 address is internal exactly when the table says so", () => {
    fc.assert(
      fc.property(anyV4, (ip) => isInternalAddress(ip) === oracleV4.check(ip, "ipv4")),
      { numRuns: 5000 },
    );
  });

  it("property: an IPv4 address inside IPv6 (mapped, NAT64, 6to4) is judged as itself, in any spelling", () => {
    fc.assert(
      fc.property(
        anyV4,
        fc.constantFrom(0xffff_0000_0000n, prefixNum("64:ff9b::")),
        spelling,
        (ip, prefix, s) => {
          const text = spell(groupsOf(prefix | BigInt(v4Num(ip))), s);
          expect(isIP(text), text).toBe(6);
          return isInternalAddress(text) === oracleV4.check(ip, "ipv4");
        },
      ),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(anyV4, fc.nat({ max: 0xffff }), spelling, (ip, suffix, s) => {
        const n = (0x2002n << 112n) | (BigInt(v4Num(ip)) << 80n) | BigInt(suffix);
        return isInternalAddress(spell(groupsOf(n), s)) === oracleV4.check(ip, "ipv4");
      }),
      { numRuns: 2000 },
    );
  });

  it("property: every address in a reserved IPv6 range is internal, in any spelling", () => {
    const anyReserved = fc.oneof(...reservedV6.map(([p, b]) => inside(p, b).chain(spelled)));
    fc.assert(
      fc.property(anyReserved, (text) => {
        expect(isIP(text.replace(/%.*$/, "")), text).toBe(6);
        return isInternalAddress(text);
      }),
      { numRuns: 5000 },
    );
    // Anything outside global unicast (2000::/3) that carries no IPv4 address is internal too.
    fc.assert(
      fc.property(
        inside("4000::", 2)
          .filter((n) => n >> 125n !== 1n)
          .chain(spelled),
        (text) => isInternalAddress(text),
      ),
      { numRuns: 1000 },
    );
  });

  it("property: global unicast outside the reserved ranges is public, in any spelling", () => {
    const reserved = new BlockList();
    for (const [p, b] of [...reservedV6, ["2002::", 16] as [string, number]])
      reserved.addSubnet(p, b, "ipv6");
    const global = inside("2000::", 3).filter(
      (n) =>
        !reserved.check(
          spell(groupsOf(n), {
            upper: false,
            pad: false,
            run: 8,
            dotted: false,
          }),
          "ipv6",
        ),
    );
    fc.assert(
      fc.property(global.chain(spelled), (text) => !isInternalAddress(text)),
      { numRuns: 3000 },
    );
  });

  it("property: the verdict does not depend on how an address is written", () => {
    fc.assert(
      fc.property(bits128, spelling, spelling, (n, a, b) => {
        return isInternalAddress(spell(groupsOf(n), a)) === isInternalAddress(spell(groupsOf(n), b));
      }),
      { numRuns: 3000 },
    );
  });
});

describe("hosts and the allow-list", () => {
  it("a host name is judged by every address it resolves to; none at all is refused", () => {
    expect(internalHostReason("hooks.example.com", ["93.184.215.14"])).toBeNull();
    expect(internalHostReason("hooks.example.com", ["93.184.215.14", "10.0.0.1"])).toBe(
      "hooks.example.com is not on the public internet",
    );
    expect(internalHostReason("hooks.example.com", [])).toMatch(/no address/);
    expect(internalHostReason("93.184.215.14", [])).toBeNull();
    expect(internalHostReason("[::1]", [])).toBe("::1 is not on the public internet");
  });

  it("this machine's own addresses are refused, in any spelling", () => {
    const own = ["93.184.215.14", "2606:2800::1"];
    expect(internalHostReason("93.184.215.14", [], parseAllowList(), own)).toMatch(
      /not on the public internet/,
    );
    expect(internalHostReason("me.example.com", ["::ffff:93.184.215.14"], parseAllowList(), own)).toMatch(
      /not on the public internet/,
    );
    expect(internalHostReason("me.example.com", ["2606:2800:0:0::0001"], parseAllowList(), own)).toMatch(
      /not on the public internet/,
    );
    expect(internalHostReason("other.example.com", ["93.184.215.15"], parseAllowList(), own)).toBeNull();
  });

  it("OUTBOUND_ALLOWED_HOSTS opens a host by its name as written, or by an address in a listed IP or range", () => {
    const allowed = parseAllowList(["ntfy.internal", "10.0.5.0/24", "::1", "[fd00::7]"]);
    expect(internalHostReason("ntfy.internal", ["10.9.9.9"], allowed)).toBeNull();
    expect(internalHostReason("NTFY.internal.", ["10.9.9.9"], allowed)).toBeNull();
    expect(internalHostReason("other.internal", ["10.0.5.20"], allowed)).toBeNull();
    expect(internalHostReason("other.internal", ["10.0.5.20", "10.0.6.1"], allowed)).toMatch(
      /public internet/,
    );
    expect(internalHostReason("10.0.5.255", [], allowed)).toBeNull();
    expect(internalHostReason("::ffff:10.0.5.1", [], allowed)).toBeNull();
    expect(internalHostReason("::1", [], allowed)).toBeNull();
    expect(internalHostReason("fd00::7", [], allowed)).toBeNull();
    expect(internalHostReason("fd00::8", [], allowed)).toMatch(/public internet/);
    expect(internalHostReason("127.0.0.1", [], allowed)).toMatch(/public internet/);
  });

  it("a malformed allow-list entry stops the server rather than opening something else", () => {
    for (const bad of ["10.0.0.0/33", "10.0.0.0/x", "fd00::/129", "not a host/8", "10.0.0.0/8/1"])
      expect(() => parseAllowList([bad]), bad).toThrow(/OUTBOUND_ALLOWED_HOSTS/);
    expect(parseAllowList(["", " Example.COM "]).names).toEqual(new Set(["example.com"]));
  });

  it("the form check refuses what can only be internal, unless allowed", () => {
    for (const host of [
      "localhost",
      "a.localhost",
      "intranet",
      "db.internal",
      "printer.local",
      "[::1]",
      "10.1.1.1",
    ])
      expect(formReason(host), host).toMatch(/not on the public internet/);
    expect(formReason("hooks.example.com")).toBeNull();
    expect(formReason("intranet", parseAllowList(["intranet"]))).toBeNull();
    // With addresses on the list, a name is judged by what it resolves to.
    expect(formReason("ntfy.internal", parseAllowList(["10.0.5.0/24"]))).toBeNull();
  });
});

// -- the guarded POST ---------------------------------------------------------------------------

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function server(reply: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  const seen: string[] = [];
  const s = http.createServer((req, res) => {
    seen.push(req.url ?? "");
    req.resume();
    req.on("end", () => reply(req, res));
  });
  servers.push(s);
  s.listen(0, "127.0.0.1");
  await once(s, "listening");
  return { port: (s.address() as AddressInfo).port, seen };
}

const post = (o: ReturnType<typeof createOutbound>, url: string, timeoutMs = 2000) =>
  o.post({ url, body: "{}", headers: {}, timeoutMs });

describe("the guarded POST", () => {
  it("refuses an internal IP literal before connecting", async () => {
    const s = await server((_q, res) => res.end("secret"));
    for (const url of [
      `http://127.0.0.1:${s.port}/`,
      `http://[::ffff:7f00:1]:${s.port}/`,
      `http://0.0.0.0:${s.port}/`,
    ])
      expect(await post(createOutbound(), url), url).toMatchObject({ kind: "refused" });
    expect(s.seen).toEqual([]);
  });

  it("refuses a name resolving to loopback, checked inside the connect (no second lookup to race)", async () => {
    const s = await server((_q, res) => res.end("secret"));
    let calls = 0;
    // Public at the first question, loopback at the second: a check-then-connect would be fooled.
    const rebinding = createOutbound({
      resolve: async () => (calls++ === 0 ? ["93.184.215.14"] : ["127.0.0.1"]),
    });
    expect(await rebinding.check(new URL(`http://rebind.example.com:${s.port}/`))).toBeNull();
    expect(await post(rebinding, `http://rebind.example.com:${s.port}/`)).toEqual({
      kind: "refused",
      reason: "rebind.example.com is not on the public internet",
    });
    const mixed = createOutbound({ resolve: async () => ["93.184.215.14", "127.0.0.1"] });
    expect(await post(mixed, `http://mixed.example.com:${s.port}/`)).toMatchObject({ kind: "refused" });
    const system = createOutbound(); // the system resolver: localhost is in /etc/hosts
    expect(await post(system, `http://localhost:${s.port}/`)).toMatchObject({ kind: "refused" });
    expect(s.seen).toEqual([]);
  });

  it("reaches allowed hosts, reports the status and Retry-After only, and follows no redirect", async () => {
    const s = await server((req, res) => {
      if (req.url === "/moved") res.writeHead(302, { location: "/target" }).end("moved");
      else res.writeHead(503, { "retry-after": "7" }).end("internal secret");
    });
    const byAddress = createOutbound({ allowedHosts: ["127.0.0.0/8"] });
    expect(await post(byAddress, `http://127.0.0.1:${s.port}/x`)).toEqual({
      kind: "answered",
      status: 503,
      retryAfter: "7",
    });
    expect(await post(byAddress, `http://127.0.0.1:${s.port}/moved`)).toMatchObject({ status: 302 });
    const byName = createOutbound({ allowedHosts: ["hooks.lan"], resolve: async () => ["127.0.0.1"] });
    expect(await post(byName, `http://hooks.lan:${s.port}/y`)).toMatchObject({
      kind: "answered",
      status: 503,
    });
    expect(s.seen).toEqual(["/x", "/moved", "/y"]);
  });

  it("one deadline for the whole request; network errors as their code", async () => {
    const s = await server(() => {}); // never answers
    const o = createOutbound({ allowedHosts: ["127.0.0.1"] });
    const started = Date.now();
    expect(await post(o, `http://127.0.0.1:${s.port}/`, 150)).toEqual({
      kind: "failed",
      reason: "timeout after 150 ms",
    });
    expect(Date.now() - started).toBeLessThan(2000);
    const slowDns = createOutbound({ resolve: () => new Promise(() => {}) });
    expect(await post(slowDns, "http://slow.example.com/", 100)).toEqual({
      kind: "failed",
      reason: "timeout after 100 ms",
    });
    const closed = await server(() => {});
    for (const x of servers.splice(0)) await new Promise((r) => x.close(r));
    expect(await post(o, `http://127.0.0.1:${closed.port}/`)).toEqual({
      kind: "failed",
      reason: "ECONNREFUSED",
    });
    const nxdomain = createOutbound({
      resolve: async () => {
        throw Object.assign(new Error("nope"), { code: "ENOTFOUND" });
      },
    });
    expect(await post(nxdomain, "http://gone.example.com/")).toEqual({ kind: "failed", reason: "ENOTFOUND" });
    expect(await nxdomain.check(new URL("http://gone.example.com/"))).toBe("gone.example.com has no address");
  });
});
