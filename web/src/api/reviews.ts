/** Post-incident reviews (docs/reviews.md): the review, saving versions, completing, detection. */
import { queryOptions } from "@tanstack/react-query";
import type { ReviewView } from "../../../src/reviews/routes.ts";
import { api } from "./client.ts";

export type Review = ReviewView;
export type DetectionSource = NonNullable<Review["detection"]["source"]>;

export const reviewKey = (id: number) => ["incident", id, "review"] as const;
export const reviewQuery = (id: number) =>
  queryOptions({ queryKey: reviewKey(id), queryFn: () => api<Review>("GET", `/incidents/${id}/review`) });

export const saveReview = (id: number, body: string, version: number) =>
  api<Review>("PUT", `/incidents/${id}/review`, { body, version });
export const completeReview = (id: number) => api<Review>("POST", `/incidents/${id}/review/complete`);
export const reopenReview = (id: number) => api<Review>("POST", `/incidents/${id}/review/reopen`);
export const setDetection = (
  id: number,
  body: { source?: DetectionSource | null; detectedAt?: string | null; nearMissSeverity?: string | null },
) => api<unknown>("PUT", `/incidents/${id}/detection`, body);
/** The document as a Markdown file (the session cookie authenticates the download). */
export const markdownUrl = (id: number) => `/api/v1/incidents/${id}/review?format=markdown`;
