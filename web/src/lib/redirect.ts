/**
 * Where to go after signing in. Only a path on this site is followed: a link such as
 * `/sign-in?redirect=https://elsewhere` must not send a person off the app after they sign in.
 */
export const home = "/incidents";

export function safeRedirect(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  if (!value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return undefined;
  if (value === "/sign-in" || value.startsWith("/sign-in?")) return undefined;
  return value.slice(0, 2000);
}
