/** A failure shown where it happened: the problem's title and its detail, announced to screen readers. */
import { messageOf } from "../api/client.ts";

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const { title, detail } = messageOf(error);
  return (
    <div className="error-note" role="alert">
      <strong>{title}</strong>
      {detail ? <span> — {detail}</span> : null}
    </div>
  );
}
