/** The frame of every signed-in screen: skip link, top navigation, the person, sign out. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import {
  Link,
  type LinkProps,
  Outlet,
  useNavigate,
  useRouteContext,
  useRouter,
} from "@tanstack/react-router";
import { api } from "../api/client.ts";
import { keys } from "../api/queries.ts";
import type { Role, Session } from "../api/types.ts";
import { ErrorNote } from "./ErrorNote.tsx";

declare module "@tanstack/react-router" {
  interface StaticDataRouteOption {
    /** The least role the screen is for: the navigation lists it only for them. */
    minRole?: Role;
  }
}

const rank: Record<Role, number> = { viewer: 0, responder: 1, admin: 2 };

/** The routes that name themselves in the navigation (staticData.nav) for this role, in their order. */
function useNavEntries(role: Role) {
  const router = useRouter();
  return Object.values(router.routesById)
    .flatMap((r) => {
      const { nav, minRole } = r.options.staticData ?? {};
      return nav && rank[role] >= rank[minRole ?? "viewer"] ? [{ to: r.fullPath, ...nav }] : [];
    })
    .sort((a, b) => a.order - b.order);
}

export function Shell() {
  const { me } = useRouteContext({ from: "/app" });
  const entries = useNavEntries(me.role);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const signOut = useMutation({
    mutationFn: () => api<void>("DELETE", "/session"),
    onSuccess: async () => {
      const opened = queryClient.getQueryData<Session | null>(keys.session)?.signedInWith;
      queryClient.clear();
      queryClient.setQueryData(keys.session, null);
      // A session opened by single sign-on ends at the provider too, which then sends the browser back.
      if (opened === "sso") window.location.assign("/auth/oidc/logout");
      else await navigate({ to: "/sign-in" });
    },
  });

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <nav aria-label="Main" className="top-nav">
          <span className="brand">Firebreak</span>
          <ul>
            {entries.map((e) => (
              <li key={e.to}>
                <Link to={e.to as LinkProps["to"]} activeProps={{ "aria-current": "page" }}>
                  {e.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="top-user">
          <Link to="/profile" activeProps={{ "aria-current": "page" }} title={`Signed in as ${me.username}`}>
            {me.name || me.username}
          </Link>
          <button type="button" className="link-button" onClick={() => signOut.mutate()}>
            Sign out
          </button>
        </div>
      </header>
      {signOut.error ? <ErrorNote error={signOut.error} /> : null}
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
