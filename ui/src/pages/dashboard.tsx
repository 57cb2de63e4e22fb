/**
 * Requests, tokens, spend and error rate over a chosen range, and the top keys, models and
 * teams by spend: from /global/spend/report, which the database aggregates.
 */
import { useEffect, useState } from "preact/hooks";
import { describe, getJson, query, type Session } from "../api.js";
import { Chart } from "../chart.js";
import { count, percent, usd } from "../format.js";
import { Notice } from "../widgets.js";

interface GroupTotal {
  name: string;
  total_spend: number;
  total_requests: number;
  total_tokens: number;
  failed_requests: number;
}

type Group = "model" | "key" | "team";

type ReportRow = { group_by_day: string } & Partial<Record<"models" | "keys" | "teams", GroupTotal[]>>;

/**
 * Each range and the bucket its charts add up by: about 25 to 170 points (a last hour in whole
 * hours would be one or two). Buckets start on whole UTC minutes, hours and days.
 */
const RANGES = [
  { label: "Last hour", hours: 1, bucket: "minute", bucketMs: 60_000 },
  { label: "Last day", hours: 24, bucket: "hour", bucketMs: 3_600_000 },
  { label: "Last 7 days", hours: 24 * 7, bucket: "hour", bucketMs: 3_600_000 },
  { label: "Last 30 days (UTC days)", hours: 24 * 30, bucket: "day", bucketMs: 86_400_000 },
] as const;

type Range = (typeof RANGES)[number];

const FIELD: Record<Group, "models" | "keys" | "teams"> = { model: "models", key: "keys", team: "teams" };

/**
 * The report of the range, exactly: from `from` to `to` (instants, not whole days, so the last
 * hour is not the hours since midnight), every bucket of it, an empty one with no groups (a
 * chart line must drop to zero where nothing was sent, not run across the gap).
 */
async function report(
  group: Group,
  range: Range,
  from: number,
  to: number,
): Promise<{ time: number; groups: GroupTotal[] }[]> {
  const rows = await getJson<ReportRow[]>(
    `/global/spend/report${query({
      start_date: new Date(from).toISOString(),
      end_date: new Date(to).toISOString(),
      group_by: group,
      bucket: range.bucket,
    })}`,
  );
  const found = new Map(rows.map((row) => [Date.parse(row.group_by_day), row[FIELD[group]] ?? []]));
  const buckets: { time: number; groups: GroupTotal[] }[] = [];
  for (let time = Math.floor(from / range.bucketMs) * range.bucketMs; time <= to; time += range.bucketMs) {
    buckets.push({ time, groups: found.get(time) ?? [] });
  }
  return buckets;
}

function top(rows: { groups: GroupTotal[] }[]): GroupTotal[] {
  const sums = new Map<string, GroupTotal>();
  for (const row of rows) {
    for (const group of row.groups) {
      const sum = sums.get(group.name) ?? {
        name: group.name,
        total_spend: 0,
        total_requests: 0,
        total_tokens: 0,
        failed_requests: 0,
      };
      sum.total_spend += group.total_spend;
      sum.total_requests += group.total_requests;
      sum.total_tokens += group.total_tokens;
      sum.failed_requests += group.failed_requests;
      sums.set(group.name, sum);
    }
  }
  return [...sums.values()].sort((a, b) => b.total_spend - a.total_spend).slice(0, 5);
}

function TopTable({ title, rows }: { title: string; rows: GroupTotal[] }) {
  return (
    <section class="panel top" aria-label={title}>
      <h2>{title}</h2>
      {rows.length === 0 ? (
        <p class="empty">No requests in this range.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Spend</th>
              <th>Requests</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.name}>
                <td>{row.name}</td>
                <td>{usd(row.total_spend)}</td>
                <td>{count(row.total_requests)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const dollars = (value: number) => usd(value);
const whole = (value: number) => count(Math.round(value));

/** The four charts: which series of the report each draws, and how its values read. */
const CHARTS: readonly {
  title: string;
  series: "requests" | "tokens" | "spend" | "errors";
  format: (value: number) => string;
}[] = [
  { title: "Requests", series: "requests", format: whole },
  { title: "Tokens", series: "tokens", format: whole },
  { title: "Spend", series: "spend", format: dollars },
  { title: "Error rate", series: "errors", format: percent },
];

interface Data {
  /** The range shown, unix seconds. */
  from: number;
  to: number;
  /** The buckets are UTC days: the charts' axes say UTC dates. */
  utc: boolean;
  times: number[];
  requests: number[];
  tokens: number[];
  spend: number[];
  errors: number[];
  totals: GroupTotal;
  models: GroupTotal[];
  keys: GroupTotal[];
  teams: GroupTotal[];
}

interface OwnKey {
  info: { key_alias: string | null; key_name: string; spend: number; max_budget: number | null };
}

/** A virtual key's own usage: the global reports are the master key's. */
function KeyUsage() {
  const [own, setOwn] = useState<OwnKey | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    getJson<OwnKey>("/key/info").then(setOwn, (failure: unknown) => setError(describe(failure)));
  }, []);
  if (error !== undefined) return <Notice error={error} />;
  if (own === undefined) return null;
  return (
    <>
      <dl class="stats">
        <div>
          <dt>Key</dt>
          <dd>{own.info.key_alias ?? own.info.key_name}</dd>
        </div>
        <div>
          <dt>Spend</dt>
          <dd data-testid="total-spend">{usd(own.info.spend)}</dd>
        </div>
        <div>
          <dt>Max budget</dt>
          <dd>{own.info.max_budget === null ? "no limit" : usd(own.info.max_budget)}</dd>
        </div>
      </dl>
      <p class="hint">Each request of this key is on the Logs page.</p>
    </>
  );
}

export function Dashboard({ session }: { session: Session }) {
  return session.role === "admin" ? <Report /> : <KeyUsage />;
}

/** The master key's report over every key, model and team. */
function Report() {
  const [range, setRange] = useState(1);
  const [data, setData] = useState<Data | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    const chosen = RANGES[range] ?? RANGES[1];
    // A newer range chosen while this one loads wins.
    let current = true;
    const load = async () => {
      const now = Date.now();
      const from = now - chosen.hours * 3_600_000;
      const [byModel, byKey, byTeam] = await Promise.all(
        (["model", "key", "team"] as const).map((group) => report(group, chosen, from, now)),
      );
      if (!current || byModel === undefined || byKey === undefined || byTeam === undefined) return;
      const sum = (groups: GroupTotal[], field: keyof Omit<GroupTotal, "name">) =>
        groups.reduce((total, group) => total + group[field], 0);
      const requests = byModel.map((row) => sum(row.groups, "total_requests"));
      const failed = byModel.map((row) => sum(row.groups, "failed_requests"));
      const all = byModel.flatMap((row) => row.groups);
      setData({
        // From the first bucket's start: its point is on the chart, not cut off at the left.
        from: (byModel[0]?.time ?? from) / 1000,
        to: now / 1000,
        utc: chosen.bucket === "day",
        times: byModel.map((row) => row.time / 1000),
        requests,
        tokens: byModel.map((row) => sum(row.groups, "total_tokens")),
        spend: byModel.map((row) => sum(row.groups, "total_spend")),
        errors: requests.map((total, i) => (total === 0 ? 0 : (failed[i] ?? 0) / total)),
        totals: {
          name: "total",
          total_spend: sum(all, "total_spend"),
          total_requests: sum(all, "total_requests"),
          total_tokens: sum(all, "total_tokens"),
          failed_requests: sum(all, "failed_requests"),
        },
        models: top(byModel),
        keys: top(byKey),
        teams: top(byTeam),
      });
      setError(undefined);
    };
    load().catch((failure: unknown) => {
      if (current) setError(describe(failure));
    });
    return () => {
      current = false;
    };
  }, [range]);

  const totals = data?.totals;
  return (
    <>
      <div class="toolbar">
        <label class="inline">
          Range
          <select value={String(range)} onChange={(event) => setRange(Number(event.currentTarget.value))}>
            {RANGES.map((choice, i) => (
              <option key={choice.label} value={String(i)}>
                {choice.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error !== undefined && <Notice error={error} />}
      {totals !== undefined && data !== undefined && (
        <>
          <dl class="stats">
            <div>
              <dt>Requests</dt>
              <dd data-testid="total-requests">{count(totals.total_requests)}</dd>
            </div>
            <div>
              <dt>Tokens</dt>
              <dd data-testid="total-tokens">{count(totals.total_tokens)}</dd>
            </div>
            <div>
              <dt>Spend</dt>
              <dd data-testid="total-spend">{usd(totals.total_spend)}</dd>
            </div>
            <div>
              <dt>Error rate</dt>
              <dd data-testid="error-rate">
                {totals.total_requests === 0 ? "—" : percent(totals.failed_requests / totals.total_requests)}
              </dd>
            </div>
          </dl>
          <div class="charts">
            {CHARTS.map(({ title, series, format }) => (
              <Chart
                key={title}
                title={title}
                times={data.times}
                values={data[series]}
                format={format}
                from={data.from}
                to={data.to}
                utc={data.utc}
              />
            ))}
          </div>
          <div class="tops">
            <TopTable title="Top keys" rows={data.keys} />
            <TopTable title="Top models" rows={data.models} />
            <TopTable title="Top teams" rows={data.teams} />
          </div>
        </>
      )}
    </>
  );
}
