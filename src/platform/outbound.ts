/**
 * Outbound HTTP to addresses people type in (webhook and chat contact methods, status page
 * subscriber webhooks): Firebreak must not become a way into its own network. This module owns
 * which addresses are "not on the public internet" and the one guarded POST that reaches the
 * others:
 * - a host is resolved and EVERY address it has is checked; the connection is made only to a
 *   checked address, inside the socket's own `lookup`, so a name cannot change between the check
 *   and the connect (DNS rebinding). IP literals, which skip `lookup`, are checked first;
 * - redirects are never followed, one deadline covers the whole request, and only the status
 *   code and Retry-After are read: the answer's body is never read, kept or shown;
 * - an administrator may open named internal hosts (OUTBOUND_ALLOWED_HOSTS): a host name as
 *   written in the URL, or an address inside a listed IP or CIDR range;
 * - a request may ask for the `private-network` reach instead (ntfy topics, whose server usually
 *   sits on the team's own network): loopback and private ranges then pass, but link-local,
 *   cloud metadata and the unspecified address are still refused.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, isIPv4, type LookupFunction } from "node:net";
import { networkInterfaces } from "node:os";

// -- addresses ----------------------------------------------------------------------------------

/** An IP address as a number: IPv4 in 32 bits, IPv6 in 128. */
type Ip = { v: 4; n: bigint } | { v: 6; n: bigint };
type Net = { v: 4 | 6; n: bigint; bits: number };

/** The address of `ip` (any IPv4 dotted quad or IPv6 spelling, a zone id ignored), or null. */
export function parseIp(ip: string): Ip | null {
  const text = ip.replace(/%.*$/, "");
  if (isIPv4(text)) return { v: 4, n: v4Number(text) };
  if (isIP(text) !== 6) return null;
  let n = 0n;
  for (const g of expandIPv6(text)) n = (n << 16n) | BigInt(g);
  return { v: 6, n };
}

const v4Number = (ip: string) => ip.split(".").reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail counts as two). */
export function expandIPv6(ip: string): number[] {
  let text = ip.replace(/%.*$/, "");
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", rest] = text.split("::");
  const parse = (s: string) => (s ? s.split(":").map((g) => Number.parseInt(g, 16)) : []);
  const a = parse(head);
  const b = rest === undefined ? [] : parse(rest);
  return rest === undefined ? a : [...a, ...Array(Math.max(0, 8 - a.length - b.length)).fill(0), ...b];
}

function net(text: string, bits: number): Net {
  const ip = parseIp(text);
  if (!ip) throw new Error(`not an IP address: ${text}`);
  return { ...ip, bits };
}

function inNet(ip: Ip, range: Net): boolean {
  if (ip.v !== range.v) return false;
  const shift = BigInt((ip.v === 4 ? 32 : 128) - range.bits);
  return ip.n >> shift === range.n >> shift;
}

/** IPv4 networks that are not on the public internet (IANA special-purpose registry, RFC 6890). */
const internalV4 = [
  net("0.0.0.0", 8), // "this network"; 0.0.0.0 reaches the host itself
  net("10.0.0.0", 8),
  net("100.64.0.0", 10), // carrier-grade NAT (cloud metadata lives here too, e.g. 100.100.100.200)
  net("127.0.0.0", 8),
  net("169.254.0.0", 16), // link-local, cloud metadata at 169.254.169.254
  net("172.16.0.0", 12),
  net("192.0.0.0", 24), // IETF protocol assignments
  net("192.0.2.0", 24), // documentation (TEST-NET-1)
  net("192.88.99.0", 24), // deprecated 6to4 relays
  net("192.168.0.0", 16),
  net("198.18.0.0", 15), // benchmarking
  net("198.51.100.0", 24), // documentation (TEST-NET-2)
  net("203.0.113.0", 24), // documentation (TEST-NET-3)
  net("224.0.0.0", 4), // multicast
  net("240.0.0.0", 4), // reserved, and the broadcast address 255.255.255.255
];

/** Only 2000::/3 is global unicast; inside it, these are not on the public internet. */
const globalV6 = net("2000::", 3);
const internalV6 = [
  net("2001::", 23), // IETF protocol assignments, Teredo (2001::/32) included
  net("2001:db8::", 32), // documentation
  net("3fff::", 20), // documentation (RFC 9637)
];
/** Prefixes that carry an IPv4 address: judged by that address. */
const mappedV6 = net("::ffff:0:0", 96); // IPv4-mapped, ::ffff:a.b.c.d in any spelling
const nat64 = net("64:ff9b::", 96); // NAT64 well-known prefix (64:ff9b:1::/48 is local use)
const sixToFour = net("2002::", 16); // 6to4: the IPv4 address is the next 32 bits

const v4Of = (n: bigint): Ip => ({ v: 4, n: n & 0xffffffffn });

/**
 * The IPv4 address an IPv6 address stands for (IPv4-mapped, NAT64, 6to4), or the address itself.
 * A connection to one of these ends up at the IPv4 host, so that is the host to judge.
 */
function effective(ip: Ip): Ip {
  if (ip.v === 4) return ip;
  if (inNet(ip, mappedV6) || inNet(ip, nat64)) return v4Of(ip.n);
  if (inNet(ip, sixToFour)) return v4Of(ip.n >> 80n);
  return ip;
}

/**
 * Whether an IP address is loopback, private, link-local, documentation, reserved or otherwise not
 * on the public internet. IPv6 is judged by what it reaches: an embedded IPv4 address by that
 * address; anything outside global unicast (2000::/3) is internal, including the deprecated
 * IPv4-compatible ::a.b.c.d and 64:ff9b:1::/48. Not an IP address at all: internal (refuse rather
 * than guess).
 */
export function isInternalAddress(ip: string): boolean {
  const parsed = parseIp(ip);
  if (!parsed) return true;
  const e = effective(parsed);
  if (e.v === 4) return internalV4.some((r) => inNet(e, r));
  return !inNet(e, globalV6) || internalV6.some((r) => inNet(e, r));
}

/** The addresses assigned to this machine's interfaces: reaching them is reaching Firebreak's host. */
export function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .map((i) => i?.address ?? "")
    .filter(Boolean);
}

// -- the allow-list -----------------------------------------------------------------------------

export type AllowList = { names: Set<string>; nets: Net[] };

const bare = (host: string) =>
  host
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "")
    .toLowerCase();

/**
 * OUTBOUND_ALLOWED_HOSTS entries (host names, IP addresses, CIDR ranges) as an allow-list. A
 * malformed address or range throws, so a typo stops the server at start instead of opening
 * something else.
 */
export function parseAllowList(entries: readonly string[] = []): AllowList {
  const names = new Set<string>();
  const nets: Net[] = [];
  for (const raw of entries) {
    const entry = bare(raw.trim());
    if (entry === "") continue;
    const [addr = "", bits, extra] = entry.split("/");
    const ip = parseIp(bare(addr));
    if (bits !== undefined || ip) {
      const max = ip?.v === 4 ? 32 : 128;
      const n = bits === undefined ? max : Number(bits);
      if (!ip || extra !== undefined || !/^\d{1,3}$/.test(bits ?? String(max)) || n > max)
        throw new Error(
          `OUTBOUND_ALLOWED_HOSTS: "${raw}" is not a host name, IP address or CIDR range such as 10.0.5.0/24`,
        );
      nets.push({ ...ip, bits: n });
    } else names.add(entry);
  }
  return { names, nets };
}

const same = (a: Ip, b: Ip) => a.v === b.v && a.n === b.n;
const allowedAddress = (list: AllowList, ip: Ip) =>
  list.nets.some((r) => inNet(ip, r) || inNet(effective(ip), r));

/**
 * Why Firebreak must not connect to `host` at these addresses (for an IP literal, the literal
 * itself), or null. Every address counts: one internal address among public ones is refused, as
 * the connection could go to any of them. `local` are this machine's own addresses.
 */
export function internalHostReason(
  host: string,
  addresses: readonly string[],
  allowed: AllowList = parseAllowList(),
  local: readonly string[] = [],
): string | null {
  const name = bare(host);
  if (allowed.names.has(name)) return null;
  const all = isIP(name) ? [name] : addresses;
  if (all.length === 0) return `${name} has no address`;
  const own = local.map(parseIp).filter((ip): ip is Ip => ip !== null);
  for (const a of all) {
    const ip = parseIp(a);
    if (ip && allowedAddress(allowed, ip)) continue;
    if (!ip || isInternalAddress(a) || own.some((o) => same(o, ip) || same(o, effective(ip))))
      return `${name} is not on the public internet`;
  }
  return null;
}

/** Host names that are internal by their name alone (RFC 6761, 6762, 8375; single labels). */
const internalName = (host: string) =>
  host === "localhost" || /\.(localhost|local|internal|home\.arpa)$/.test(host) || !host.includes(".");

/**
 * The check that needs no resolver, for a form: an IP literal is judged, a name that can only be
 * internal (localhost, *.local, *.internal, a single label) is refused unless allowed by name, or
 * when the allow-list has addresses, left to its addresses. Null: resolve it to know.
 */
export function formReason(host: string, allowed: AllowList = parseAllowList()): string | null {
  const name = bare(host);
  if (allowed.names.has(name)) return null;
  if (isIP(name)) return internalHostReason(name, [], allowed);
  return internalName(name) && allowed.nets.length === 0 ? `${name} is not on the public internet` : null;
}

// -- the private-network policy (ntfy) ---------------------------------------------------------

/**
 * Addresses refused even where private networks are allowed: link-local (cloud metadata at
 * 169.254.169.254, fe80::/10), the unspecified address (0.0.0.0 and :: reach the host itself), and
 * AWS's IPv6 metadata address fd00:ec2::254.
 */
const neverV4 = [net("169.254.0.0", 16), net("0.0.0.0", 32)];
const neverV6 = [net("fe80::", 10), net("::", 128), net("fd00:ec2::254", 128)];

function metadataAddress(ip: string): boolean {
  const parsed = parseIp(ip);
  if (!parsed) return true;
  const e = effective(parsed);
  return e.v === 4 ? neverV4.some((r) => inNet(e, r)) : neverV6.some((r) => inNet(e, r));
}

/**
 * The "private network" policy, for contact methods whose server usually sits on the team's own
 * network (an ntfy server): loopback and private ranges may be reached, link-local, metadata and
 * unspecified addresses may not, whatever the allow-list says. Null when every address is fine.
 */
export function privateNetworkReason(host: string, addresses: readonly string[]): string | null {
  const name = bare(host);
  const all = isIP(name) ? [name] : addresses;
  if (all.length === 0) return `${name} has no address`;
  for (const a of all)
    if (metadataAddress(a)) return `${name} is a link-local, metadata or unspecified address`;
  return null;
}

/**
 * Which addresses a request may reach: `public` (the default: the public internet and
 * OUTBOUND_ALLOWED_HOSTS) or `private-network` (see privateNetworkReason).
 */
export type Reach = "public" | "private-network";

// -- the guarded POST ---------------------------------------------------------------------------

/** Resolves a host name to all its addresses. Default: the system resolver (hosts file, DNS). */
export type Resolve = (host: string) => Promise<string[]>;

export const systemResolve: Resolve = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

export type OutboundOptions = {
  /** OUTBOUND_ALLOWED_HOSTS: internal hosts that may be reached anyway. Default: none. */
  allowedHosts?: readonly string[];
  resolve?: Resolve;
  /** This machine's addresses, refused like loopback. Default: every interface's, asked each time. */
  localAddresses?: () => string[];
};

/** What came of a POST: the receiver's status (and Retry-After), or why there was none. */
export type PostOutcome =
  | { kind: "answered"; status: number; retryAfter: string | null }
  /** Not sent: the host is not on the public internet. Sending again will not change that. */
  | { kind: "refused"; reason: string }
  /** No answer: a network error's code, the deadline, a name that does not resolve. */
  | { kind: "failed"; reason: string };

export type PostRequest = {
  url: string;
  body: string | Uint8Array;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Default `public`. */
  reach?: Reach;
};

export type Outbound = {
  /** Why the URL's host must not be reached, resolving a name now; null when it may be. */
  check(url: URL, reach?: Reach): Promise<string | null>;
  /** `formReason` with this allow-list: the check without a resolver. */
  checkForm(url: URL): string | null;
  post(r: PostRequest): Promise<PostOutcome>;
  /**
   * A WHATWG `fetch` for vendor APIs whose answer must be read (Slack's Web API): the same guard
   * (every connection made to a checked address, IP literals judged first), no redirects followed,
   * the answer's body capped at `maxBodyBytes` (default 5 MB). A refused host rejects with a
   * TypeError naming why, as fetch does for a network error.
   */
  fetch(options?: { reach?: Reach; maxBodyBytes?: number }): GuardedFetch;
};

/** The part of `fetch` vendor clients call: a URL, method, headers, a string or bytes body, a signal. */
export type GuardedFetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** Names of DNS failures, as getaddrinfo reports them. */
const noSuchName = new Set(["ENOTFOUND", "ENODATA", "EAI_NONAME", "EAI_NODATA"]);

export function createOutbound(options: OutboundOptions = {}): Outbound {
  const allowed = parseAllowList(options.allowedHosts);
  const resolve = options.resolve ?? systemResolve;
  const local = options.localAddresses ?? interfaceAddresses;

  /** A socket `lookup` that connects only to checked addresses; a refusal is kept in `refused`. */
  const reasonFor = (host: string, addresses: readonly string[], reach: Reach) =>
    reach === "private-network"
      ? privateNetworkReason(host, addresses)
      : internalHostReason(host, addresses, allowed, local());

  const guardedLookup =
    (refused: { reason?: string }, reach: Reach): LookupFunction =>
    (host, opts, callback) => {
      resolve(host).then(
        (addresses) => {
          const reason = reasonFor(host, addresses, reach);
          if (reason) {
            refused.reason = reason;
            return callback(Object.assign(new Error(reason), { code: "EREFUSED" }), "");
          }
          const family =
            opts.family === 4 || opts.family === "IPv4"
              ? 4
              : opts.family === 6 || opts.family === "IPv6"
                ? 6
                : 0;
          const usable = addresses
            .map((address) => ({ address, family: isIP(address) }))
            .filter((a) => a.family !== 0 && (family === 0 || a.family === family));
          const first = usable[0];
          if (!first)
            return callback(Object.assign(new Error(`${host} has no address`), { code: "ENOTFOUND" }), "");
          return opts.all ? callback(null, usable) : callback(null, first.address, first.family);
        },
        (err: NodeJS.ErrnoException) => callback(err, ""),
      );
    };

  function guardedFetch(url: URL, init: RequestInit, reach: Reach, maxBodyBytes: number): Promise<Response> {
    const fail = (reason: string) => Promise.reject(new TypeError(`fetch failed: ${reason}`));
    if (url.protocol !== "http:" && url.protocol !== "https:")
      return fail("only http:// and https:// URLs are sent to");
    const host = bare(url.hostname);
    if (isIP(host)) {
      const reason = reasonFor(host, [], reach);
      if (reason) return fail(reason);
    }
    const body = init.body;
    if (
      body != null &&
      typeof body !== "string" &&
      !(body instanceof Uint8Array) &&
      !(body instanceof URLSearchParams)
    )
      return fail("only string, URLSearchParams and byte bodies are sent");
    const payload = body == null ? undefined : body instanceof URLSearchParams ? body.toString() : body;
    const headers: Record<string, string> = { "User-Agent": "Firebreak" };
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    if (body instanceof URLSearchParams) headers["content-type"] ??= "application/x-www-form-urlencoded";
    if (payload !== undefined) headers["content-length"] = String(Buffer.byteLength(payload));
    const refused: { reason?: string } = {};
    return new Promise<Response>((resolve, reject) => {
      const signal = init.signal;
      const req = (url.protocol === "https:" ? httpsRequest : httpRequest)(
        url,
        { method: init.method ?? "GET", headers, agent: false, lookup: guardedLookup(refused, reach) },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBodyBytes) {
              res.destroy();
              reject(new TypeError(`fetch failed: the answer is larger than ${maxBodyBytes} bytes`));
            } else chunks.push(chunk);
          });
          res.on("error", (err) => reject(new TypeError(`fetch failed: ${err.message}`)));
          res.on("end", () => {
            const answer = new Headers();
            for (const [name, value] of Object.entries(res.headers))
              if (value !== undefined) answer.set(name, Array.isArray(value) ? value.join(", ") : value);
            const status = res.statusCode ?? 502;
            const noBody = status === 204 || status === 304;
            resolve(
              new Response(noBody ? null : Buffer.concat(chunks), {
                status: status < 200 || status > 599 ? 502 : status,
                statusText: res.statusMessage ?? "",
                headers: answer,
              }),
            );
          });
        },
      );
      const abort = () => req.destroy(Object.assign(new Error("aborted"), { code: "ABORT_ERR" }));
      if (signal?.aborted) abort();
      signal?.addEventListener("abort", abort, { once: true });
      req.on("error", (err: NodeJS.ErrnoException) => {
        signal?.removeEventListener("abort", abort);
        if (signal?.aborted) reject(signal.reason ?? new DOMException("aborted", "AbortError"));
        else reject(new TypeError(`fetch failed: ${refused.reason ?? err.code ?? "network error"}`));
      });
      req.on("close", () => signal?.removeEventListener("abort", abort));
      req.end(payload);
    });
  }

  return {
    async check(url, reach = "public") {
      const host = bare(url.hostname);
      if (reach === "public" && (allowed.names.has(host) || isIP(host)))
        return internalHostReason(host, [], allowed, local());
      if (reach === "private-network" && isIP(host)) return privateNetworkReason(host, []);
      const early = reach === "public" ? formReason(host, allowed) : null;
      if (early) return early;
      let addresses: string[];
      try {
        addresses = await resolve(host);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "";
        return noSuchName.has(code)
          ? `${host} has no address`
          : `cannot resolve ${host} (${code || "error"})`;
      }
      return reasonFor(host, addresses, reach);
    },
    checkForm: (url) => formReason(url.hostname, allowed),
    fetch(options = {}) {
      const reach = options.reach ?? "public";
      const maxBodyBytes = options.maxBodyBytes ?? 5_000_000;
      return (input, init = {}) => guardedFetch(new URL(String(input)), init, reach, maxBodyBytes);
    },
    post(r) {
      let url: URL;
      try {
        url = new URL(r.url);
      } catch {
        return Promise.resolve({ kind: "refused", reason: "not a URL" });
      }
      if (url.protocol !== "http:" && url.protocol !== "https:")
        return Promise.resolve({ kind: "refused", reason: "only http:// and https:// URLs are sent to" });
      const host = bare(url.hostname);
      const reach = r.reach ?? "public";
      // The socket does not call `lookup` for an IP literal: judge it here.
      if (isIP(host)) {
        const reason = reasonFor(host, [], reach);
        if (reason) return Promise.resolve({ kind: "refused", reason });
      }
      const refused: { reason?: string } = {};
      return new Promise<PostOutcome>((done) => {
        let settled = false;
        const finish = (o: PostOutcome) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          req.destroy();
          done(o);
        };
        const req = (url.protocol === "https:" ? httpsRequest : httpRequest)(
          url,
          {
            method: "POST",
            headers: {
              "Content-Type": "application/json",
              "User-Agent": "Firebreak",
              ...r.headers,
              "Content-Length": String(Buffer.byteLength(r.body)),
            },
            // A connection of its own, never a pooled one, so every request passes the lookup.
            agent: false,
            lookup: guardedLookup(refused, reach),
          },
          (res: IncomingMessage) => {
            const retryAfter = res.headers["retry-after"];
            // The status is the answer; the body is not read (a receiver's text never reaches an
            // error message anyone can read).
            res.destroy();
            finish({ kind: "answered", status: res.statusCode ?? 0, retryAfter: retryAfter ?? null });
          },
        );
        // One deadline for lookup, connect, TLS and the answer's head.
        const timer = setTimeout(
          () => finish({ kind: "failed", reason: `timeout after ${r.timeoutMs} ms` }),
          r.timeoutMs,
        );
        req.on("error", (err: NodeJS.ErrnoException) => {
          if (refused.reason) finish({ kind: "refused", reason: refused.reason });
          else finish({ kind: "failed", reason: err.code ?? "network error" });
        });
        req.end(r.body);
      });
    },
  };
}
