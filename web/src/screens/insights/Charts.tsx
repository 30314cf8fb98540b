/**
 * Bar charts drawn as SVG (no chart library: a few hundred bytes instead of tens of kilobytes).
 * A chart is a picture with a one-line description for screen readers; the numbers it shows are
 * always in the table beside it, which is what a screen reader or a keyboard user reads.
 */
import { niceMax } from "../../lib/insights.ts";

export type Bar = { label: string; value: number; title?: string };

/** Drawn at the size it is shown on a desktop (scaled down on a phone), so its text stays ~12 px. */
const WIDTH = 680;
const HEIGHT = 180;
const AXIS = 28;

/** Vertical bars, one per label, scaled to a round maximum; every bar's value in its tooltip. */
export function BarChart({
  bars,
  description,
  unit = "",
}: {
  bars: Bar[];
  description: string;
  unit?: string;
}) {
  const top = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const width = WIDTH;
  const step = width / Math.max(bars.length, 1);
  const barWidth = Math.max(2, step * 0.7);
  // Label every bar when few, else about every sixth so the axis stays readable.
  const every = bars.length <= 12 ? 1 : Math.ceil(bars.length / 10);
  return (
    <svg
      className="chart"
      viewBox={`0 0 ${width + AXIS} ${HEIGHT + 36}`}
      role="img"
      aria-label={description}
      preserveAspectRatio="xMinYMin meet"
    >
      <text x={0} y={10} className="chart-axis">
        {top}
        {unit}
      </text>
      <text x={0} y={HEIGHT} className="chart-axis">
        0
      </text>
      <line x1={AXIS} x2={AXIS + width} y1={HEIGHT} y2={HEIGHT} className="chart-base" />
      {bars.map((b, i) => {
        const h = (b.value / top) * (HEIGHT - 14);
        const x = AXIS + i * step + (step - barWidth) / 2;
        return (
          <g key={b.label}>
            <rect x={x} y={HEIGHT - h} width={barWidth} height={h} className="chart-bar">
              <title>{b.title ?? `${b.label}: ${b.value}${unit}`}</title>
            </rect>
            {i % every === 0 ? (
              <text x={x + barWidth / 2} y={HEIGHT + 14} className="chart-label" textAnchor="middle">
                {b.label}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}

/** Horizontal bars with their label and value written beside them (people, services). */
export function HorizontalBars({ bars, description }: { bars: Bar[]; description: string }) {
  const top = Math.max(1, ...bars.map((b) => b.value));
  const row = 22;
  const labelWidth = 150;
  const width = WIDTH;
  return (
    <svg
      className="chart"
      viewBox={`0 0 ${width} ${Math.max(bars.length, 1) * row + 4}`}
      role="img"
      aria-label={description}
      preserveAspectRatio="xMinYMin meet"
    >
      {bars.map((b, i) => {
        const w = (b.value / top) * (width - labelWidth - 50);
        return (
          <g key={b.label} transform={`translate(0 ${i * row})`}>
            <text x={labelWidth - 6} y={15} className="chart-label" textAnchor="end">
              {b.label.length > 22 ? `${b.label.slice(0, 21)}…` : b.label}
            </text>
            <rect x={labelWidth} y={3} width={w} height={row - 8} className="chart-bar">
              <title>{b.title ?? `${b.label}: ${b.value}`}</title>
            </rect>
            <text x={labelWidth + w + 4} y={15} className="chart-label">
              {b.value}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
