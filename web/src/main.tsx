import "./styles.css";
import { QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "@tanstack/react-router";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { takeEarlyRequests } from "./early-answers.ts";
import { queryClient, router } from "./router.tsx";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
// The first screen's requests early.ts started, for the app's own requests until the first page settles.
takeEarlyRequests(window.firebreakEarly, (then) => {
  const stop = router.subscribe("onResolved", () => {
    stop();
    // The loaders have asked by now; what they did not ask for is not the first screen's.
    setTimeout(then, 0);
  });
});
window.firebreakEarly = null;
// The service worker shows Web Push notifications (profile → Enable push notifications); it caches nothing.
if ("serviceWorker" in navigator) void navigator.serviceWorker.register("/sw.js").catch(() => {});
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
