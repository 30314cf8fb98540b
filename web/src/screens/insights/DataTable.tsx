/**
 * The Insights screen's tables: a table under every chart, in a region that scrolls sideways on a
 * phone and is reachable by keyboard. Columns are data so each table states only what it shows.
 */
import type { ReactNode } from "react";

export type Column<T> = {
  header: ReactNode;
  cell: (row: T) => ReactNode;
  /** The cell that names the row (a `<th scope="row">`). */
  rowHeader?: boolean;
};

/** A region that scrolls sideways on a phone, focusable so the keyboard can scroll it. */
export function Scroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region needs focus to scroll by keyboard
    <section className="insights-scroll" tabIndex={0} aria-label={label}>
      {children}
    </section>
  );
}

export function DataTable<T>({
  rows,
  columns,
  rowKey,
  caption,
  captionHidden = false,
  className = "table",
}: {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string | number;
  caption?: ReactNode;
  /** The caption is for screen readers only (the section's heading says it on screen). */
  captionHidden?: boolean;
  className?: string;
}) {
  return (
    <table className={className}>
      {caption ? (
        <caption className={captionHidden ? "visually-hidden" : undefined}>{caption}</caption>
      ) : null}
      <thead>
        <tr>
          {columns.map((c, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: columns are fixed for a table's life
            <th key={i} scope="col">
              {c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={rowKey(row)}>
            {columns.map((c, i) =>
              c.rowHeader ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: columns are fixed for a table's life
                <th key={i} scope="row">
                  {c.cell(row)}
                </th>
              ) : (
                // biome-ignore lint/suspicious/noArrayIndexKey: columns are fixed for a table's life
                <td key={i}>{c.cell(row)}</td>
              ),
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
