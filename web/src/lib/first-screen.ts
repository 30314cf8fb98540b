/**
 * The incidents list the server put into index.html (#first-screen, decision 0012) stays on screen
 * while the app starts: the app renders into #root, hidden, and is swapped in for it once its own
 * list is there, so the rows never disappear and come back. Without that HTML (signed out, another
 * page, a filtered list) there is nothing to hold and nothing to swap.
 *
 * The page also carries the API's answers the list was made from (JSON data blocks): the app's
 * first requests of those paths take them, as they would take early.ts's (early-answers.ts).
 */
import type { EarlyRequests } from "../early.ts";

let held: { shell: HTMLElement; root: HTMLElement } | null = null;

/** Hides the app's container while the server's first screen is on the page; whether it is. */
export function holdFirstScreen(root: HTMLElement): boolean {
  const shell = document.getElementById("first-screen");
  if (!shell) return false;
  root.hidden = true;
  held = { shell, root };
  return true;
}

/** Shows the app in place of the server's first screen (once; later calls do nothing). */
export function showApp(): void {
  if (!held) return;
  // One task: the next frame has the app and not the shell, never both or neither.
  held.shell.remove();
  held.root.hidden = false;
  held = null;
}

/** Whether the server's first screen is still shown. */
export const holdingFirstScreen = (): boolean => held !== null;

/** The API's answers the page carries, by path (after /api/v1), taken out of the page; null if none. */
export function answersInPage(): EarlyRequests | null {
  const blocks = document.querySelectorAll<HTMLScriptElement>("script.first-screen-answer");
  if (blocks.length === 0) return null;
  const answers: EarlyRequests = {};
  for (const block of blocks) {
    const path = block.dataset.path;
    if (path)
      answers[path] = Promise.resolve(
        new Response(block.textContent, { status: 200, headers: { "content-type": "application/json" } }),
      );
    block.remove();
  }
  return answers;
}
