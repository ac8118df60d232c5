import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../../shared/atomic-write.ts';
import { METRIC, readMetrics, type MetricLine } from './metrics-log.ts';

type Point = { step: number; value: number; series: string; panel: string };

/** Long-format points for the learning curves: return and win rate, training and greedy evaluation. */
export function curvePoints(lines: readonly MetricLine[]): Point[] {
  const points: Point[] = [];
  const add = (line: MetricLine, key: string, series: string, panel: string) => {
    const v = line[key];
    if (typeof v === 'number' && Number.isFinite(v)) points.push({ step: line.global_step, value: v, series, panel });
  };
  const anyWins = lines.some((l) => (l[METRIC.winRate] ?? 0) > 0 || (l[METRIC.evalWinRate] ?? 0) > 0);
  for (const line of lines) {
    add(line, METRIC.episodeReturn, 'training (sampled)', 'episode return');
    add(line, METRIC.evalReturn, 'evaluation (greedy)', 'episode return');
    if (anyWins) {
      add(line, METRIC.winRate, 'training (sampled)', 'win rate');
      add(line, METRIC.evalWinRate, 'evaluation (greedy)', 'win rate');
    }
  }
  return points;
}

/** Render the learning curve of a metrics JSONL file to SVG with vega-lite (headless, no canvas). */
export async function renderCurveSvg(lines: readonly MetricLine[], title: string): Promise<string> {
  const points = curvePoints(lines);
  const panels = [...new Set(points.map((p) => p.panel))];
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: points },
    vconcat: panels.map((panel) => ({
      width: 520,
      height: 180,
      transform: [{ filter: { field: 'panel', equal: panel } }],
      mark: { type: 'line', point: { size: 12 } },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'env steps' },
        y: { field: 'value', type: 'quantitative', title: panel, scale: { zero: false } },
        color: { field: 'series', type: 'nominal', title: null },
      },
    })),
  } as TopLevelSpec;
  return vegaLiteSvg(spec);
}

/** A vega-lite spec drawn to SVG headless (no canvas): the one renderer of every chart we write. */
export async function vegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

export async function writeCurve(metricsPath: string, svgPath: string, title: string): Promise<void> {
  const svg = await renderCurveSvg(readMetrics(metricsPath), title);
  writeFileAtomic(svgPath, svg);
}
