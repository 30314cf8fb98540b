import "./styles.css";
import { QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "@tanstack/react-router";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { takeEarlyRequests } from "./early-answers.ts";
import { answersInPage, holdFirstScreen, showApp } from "./lib/first-screen.ts";
import { queryClient, router } from "./router.tsx";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
// The first screen's requests early.ts started (or the answers the page brought), for the app's own
// requests until the first page settles.
takeEarlyRequests(window.firebreakEarly ?? answersInPage(), (then) => {
  const stop = router.subscribe("onResolved", () => {
    stop();
    // The loaders have asked by now; what they did not ask for is not the first screen's.
    setTimeout(then, 0);
  });
});
window.firebreakEarly = null;
// The list the server rendered stays until the app's own is there (the screen calls showApp); any
// other first page (a redirect to sign in, an error) is shown as soon as the router has settled it.
const holding = holdFirstScreen(root);
const stopHolding = router.subscribe("onResolved", () => {
  stopHolding();
  const list = router.state.matches.find((m) => m.routeId === "/app/incidents");
  if (list?.status !== "success") showApp();
});
// The service worker shows Web Push notifications (profile → Enable push notifications); it caches nothing.
if ("serviceWorker" in navigator) void navigator.serviceWorker.register("/sw.js").catch(() => {});
const start = () =>
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </StrictMode>,
  );
// With the server's list on the page, the browser paints it first: React's first render would hold
// the main thread before that frame. (A tab opened in the background paints nothing: start at once.)
if (holding && document.visibilityState === "visible") requestAnimationFrame(() => setTimeout(start, 0));
else start();
