import { notFound } from "@tanstack/react-router";

/** A route's `$id`: a positive whole number, else the not-found screen (never a request for "abc"). */
export const numericId = {
  parse: ({ id }: { id: string }) => {
    const n = Number(id);
    if (!Number.isSafeInteger(n) || n <= 0) throw notFound();
    return { id: n };
  },
  stringify: ({ id }: { id: number }) => ({ id: String(id) }),
};
