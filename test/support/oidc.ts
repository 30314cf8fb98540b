/**
 * A real OpenID Connect provider (the `oidc-provider` package) on loopback for the single sign-on
 * tests, with a login step the test drives: the next sign-in is as `nextAccount`. `tamperIdToken`
 * corrupts the signature of the next ID token the token endpoint issues, so the tests can see that
 * Firebreak checks it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

export type Account = {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
  groups?: string[];
};

export type TestProvider = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, Account>;
  nextAccount: string;
  tamperIdToken: boolean;
  close(): Promise<void>;
};

export async function startProvider(opts: {
  redirectUri: string;
  postLogoutUri: string;
}): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const state: TestProvider = {
    issuer,
    clientId: "firebreak",
    clientSecret: "a-client-secret-for-the-tests",
    accounts: new Map(),
    nextAccount: "",
    tamperIdToken: false,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: state.clientId,
        client_secret: state.clientSecret,
        redirect_uris: [opts.redirectUri],
        post_logout_redirect_uris: [opts.postLogoutUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "preferred_username"],
      groups: ["groups"],
    },
    scopes: ["openid", "email", "profile", "groups"],
    pkce: { required: () => true },
    cookies: { keys: ["test-cookie-key-0123456789"] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, id) {
      const a = state.accounts.get(id);
      if (!a) return undefined;
      return { accountId: id, claims: async () => ({ ...a }) };
    },
  });
  const handle = provider.callback();

  server.on("request", async (req: IncomingMessage, res: ServerResponse) => {
    try {
      if (req.url?.startsWith("/interaction/")) {
        const details = await provider.interactionDetails(req, res);
        if (details.prompt.name === "login") {
          await provider.interactionFinished(
            req,
            res,
            { login: { accountId: state.nextAccount } },
            {
              mergeWithLastSubmission: false,
            },
          );
          return;
        }
        const grant = new provider.Grant({
          accountId: details.session?.accountId ?? state.nextAccount,
          clientId: String(details.params.client_id),
        });
        grant.addOIDCScope(String(details.params.scope));
        const grantId = await grant.save();
        await provider.interactionFinished(
          req,
          res,
          { consent: { grantId } },
          { mergeWithLastSubmission: true },
        );
        return;
      }
      if (req.url?.startsWith("/token") && state.tamperIdToken) {
        state.tamperIdToken = false;
        tamperNextBody(res);
      }
      handle(req, res);
    } catch (err) {
      res.statusCode = 500;
      res.end(String(err));
    }
  });
  return state;
}

/** Flips a character of the ID token's signature in the JSON this response will send. */
function tamperNextBody(res: ServerResponse) {
  const end = res.end.bind(res);
  const chunks: Buffer[] = [];
  const write = res.write.bind(res);
  res.write = ((chunk: unknown) => {
    chunks.push(Buffer.from(chunk as string));
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: unknown) => {
    if (chunk) chunks.push(Buffer.from(chunk as string));
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id_token?: string };
    if (body.id_token) {
      const [h, p, sig = ""] = body.id_token.split(".");
      const flipped = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
      body.id_token = `${h}.${p}.${flipped}`;
    }
    const text = JSON.stringify(body);
    res.setHeader("content-length", Buffer.byteLength(text));
    void write;
    return end(text);
  }) as typeof res.end;
}

/**
 * A browser for the tests: follows redirects across Firebreak and the provider, keeping each
 * site's cookies, and stops at the first answer that is not a redirect.
 */
export function testBrowser(firebreakBase: string, publicUrl: string) {
  const jars = new Map<string, Map<string, string>>();
  const jar = (origin: string) => jars.get(origin) ?? jars.set(origin, new Map()).get(origin)!;
  const toReal = (url: string) =>
    url.startsWith(publicUrl) ? firebreakBase + url.slice(publicUrl.length) : url;

  /** `stopBefore`: a URL not to fetch; the answer is then status 0 with that URL. */
  async function go(
    start: string,
    stopBefore?: (url: string) => boolean,
    max = 20,
  ): Promise<{ url: string; status: number; text: string; headers: Headers }> {
    let url = toReal(start);
    for (let i = 0; i < max; i++) {
      if (stopBefore?.(url)) return { url, status: 0, text: "", headers: new Headers() };
      const origin = new URL(url).origin;
      const cookies = [...jar(origin)].map(([k, v]) => `${k}=${v}`).join("; ");
      const res = await fetch(url, { redirect: "manual", headers: cookies ? { cookie: cookies } : {} });
      for (const c of res.headers.getSetCookie()) {
        const [pair = ""] = c.split(";");
        const eq = pair.indexOf("=");
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        if (/max-age=0/i.test(c) || value === "") jar(origin).delete(name);
        else jar(origin).set(name, value);
      }
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location) {
        url = toReal(new URL(location, url).href);
        await res.arrayBuffer();
        continue;
      }
      return { url, status: res.status, text: await res.text(), headers: res.headers };
    }
    throw new Error(`more than ${max} redirects from ${start}`);
  }
  return {
    go,
    /** The cookies this browser holds for Firebreak. */
    firebreakCookies: () => jar(new URL(firebreakBase).origin),
    cookieHeader: () => [...jar(new URL(firebreakBase).origin)].map(([k, v]) => `${k}=${v}`).join("; "),
  };
}
