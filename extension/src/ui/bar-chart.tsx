// A small SVG bar chart of one value per day of the month, with a text alternative.
import type { UsageGroup } from '../core/companion-types';
import { formatCost } from './format';

export function DailyChart({ month, days, metric }: { month: string; days: UsageGroup[]; metric: 'calls' | 'costMicros' }) {
  const [year, monthNumber] = month.split('-').map(Number);
  const count = new Date(Date.UTC(year ?? 2000, monthNumber ?? 1, 0)).getUTCDate();
  const byDay = new Map(days.map((day) => [Number(day.key.slice(8, 10)), day[metric]]));
  const values = Array.from({ length: count }, (_, index) => byDay.get(index + 1) ?? 0);
  const max = Math.max(1, ...values);
  const width = 360;
  const height = 80;
  const gap = 2;
  const barWidth = (width - gap * (count - 1)) / count;
  const describe = (value: number) => (metric === 'costMicros' ? formatCost(value) : `${value} calls`);
  const active = values.map((value, index) => (value > 0 ? `day ${index + 1}: ${describe(value)}` : null)).filter(Boolean);
  return (
    <figure style={{ margin: 0 }}>
      <svg className="chart" viewBox={`0 0 ${width} ${height + 12}`} role="img" aria-label={`Daily ${metric === 'calls' ? 'calls' : 'cost'} in ${month}: ${active.join(', ') || 'none yet'}`}>
        {values.map((value, index) => {
          const barHeight = value === 0 ? 2 : Math.max(3, (value / max) * height);
          return (
            <rect key={index} className={`bar${value === 0 ? ' empty' : ''}`} x={index * (barWidth + gap)} y={height - barHeight} width={barWidth} height={barHeight} rx={1.5}>
              <title>{`${month}-${String(index + 1).padStart(2, '0')}: ${describe(value)}`}</title>
            </rect>
          );
        })}
        <text x={0} y={height + 11} fontSize={9} fill="currentColor" opacity={0.6}>
          1
        </text>
        <text x={width} y={height + 11} fontSize={9} fill="currentColor" opacity={0.6} textAnchor="end">
          {count}
        </text>
      </svg>
    </figure>
  );
}
