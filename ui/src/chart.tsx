/** A uPlot line chart of one series over time, sized to its container (and resized with it). */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

interface ChartProps {
  title: string;
  /** Unix seconds of each bucket. */
  times: readonly number[];
  values: readonly number[];
  format: (value: number) => string;
  /** The range shown (unix seconds), whatever buckets have data: one point must not span years. */
  from: number;
  to: number;
  /** Time axis in UTC: whole-day buckets are UTC days, which a local axis would date a day early west of Greenwich. */
  utc: boolean;
}

const HEIGHT = 180;

export function Chart({ title, times, values, format, from, to, utc }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const plot = new uPlot(
      {
        title,
        width: element.clientWidth,
        height: HEIGHT,
        legend: { show: false },
        ...(utc ? { tzDate: (seconds: number) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC") } : {}),
        scales: {
          x: { time: true, range: [from, to] },
          // From zero, with headroom: counts and money never go below it.
          y: { range: (_plot, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
        },
        axes: [{}, { values: (_plot, ticks) => ticks.map(format), size: 84 }],
        series: [{}, { label: title, stroke: "#2563eb", fill: "rgba(37, 99, 235, 0.12)", points: { show: true } }],
      },
      [[...times], [...values]],
      element,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [title, times, values, format, from, to, utc]);
  return <div class="chart" ref={box} role="img" aria-label={title} />;
}
