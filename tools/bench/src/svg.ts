/** One line of a chart. */
export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  readonly points: ReadonlyArray<readonly [x: number, y: number]>;
}

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round step for about `count` axis ticks over [0, max]. Pure. */
export function niceStep(max: number, count = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  return step;
}

const num = (n: number) => String(Number(n.toPrecision(6)));

/** A line chart as a self-contained SVG: axes with round ticks, one polyline per series, a legend. Pure. */
export function lineChartSvg(options: { title: string; xLabel: string; yLabel: string; series: readonly ChartSeries[]; width?: number; height?: number; yMax?: number }): string {
  const width = options.width ?? 860;
  const height = options.height ?? 340;
  const left = 60;
  const right = 20;
  const top = 40;
  const bottom = 50;
  const allPoints = options.series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...allPoints.map(([x]) => x));
  const yStep = niceStep(options.yMax ?? Math.max(0.001, ...allPoints.map(([, y]) => y)));
  const yMax = Math.ceil((options.yMax ?? Math.max(0.001, ...allPoints.map(([, y]) => y))) / yStep) * yStep;
  const xStep = niceStep(xMax, 8);
  const px = (x: number) => left + (x / xMax) * (width - left - right);
  const py = (y: number) => top + (1 - Math.min(y, yMax) / yMax) * (height - top - bottom);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(options.title)}</text>`);
  for (let y = 0; y <= yMax + yStep / 1000; y += yStep) {
    out.push(`<line x1="${left}" x2="${width - right}" y1="${num(py(y))}" y2="${num(py(y))}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${num(py(y) + 4)}" text-anchor="end">${num(y)}</text>`);
  }
  for (let x = 0; x <= xMax + xStep / 1000; x += xStep) {
    out.push(`<line x1="${num(px(x))}" x2="${num(px(x))}" y1="${height - bottom}" y2="${height - bottom + 5}" stroke="#333"/>`);
    out.push(`<text x="${num(px(x))}" y="${height - bottom + 18}" text-anchor="middle">${num(x)}</text>`);
  }
  out.push(`<line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="#333"/>`);
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}" stroke="#333"/>`);
  out.push(`<text x="${(left + width - right) / 2}" y="${height - 12}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  out.push(`<text x="16" y="${(top + height - bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(top + height - bottom) / 2})">${esc(options.yLabel)}</text>`);
  options.series.forEach((series, i) => {
    if (series.points.length > 0) {
      const points = series.points.map(([x, y]) => `${num(px(x))},${num(py(y))}`).join(' ');
      out.push(`<polyline fill="none" stroke="${series.color}" stroke-width="1.2" points="${points}"/>`);
    }
    const ly = top + 4 + i * 16;
    out.push(`<line x1="${width - right - 230}" x2="${width - right - 210}" y1="${ly}" y2="${ly}" stroke="${series.color}" stroke-width="2"/>`);
    out.push(`<text x="${width - right - 205}" y="${ly + 4}">${esc(series.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
