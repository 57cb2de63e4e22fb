/**
 * The known name a mistyped one was meant to be (`api_kye` → `api_key`, `genral_settings` →
 * `general_settings`): the closest by edit distance, transpositions counting as one edit,
 * within a distance that grows with the name's length.
 */

/** Edits between two names: insertions, deletions, substitutions and adjacent swaps. */
function distance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const above = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row.push(best);
    }
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * LiteLLM settings litegate does not serve yet: real names, so never "corrected" into a near
 * one (`service_callbacks` is not a typo of `callbacks`).
 */
export const LITELLM_ONLY_KEYS: ReadonlySet<string> = new Set([
  "service_callbacks",
  "redact_user_api_key_info",
  "langfuse_default_tags",
  "force_ipv4",
  "alerting",
  "alerting_threshold",
  "proxy_batch_write_at",
  "cache_responses",
  "guardrails",
  "credential_list",
  "mcp_servers",
]);

/** The known name `name` is most likely a typo of, if any is close enough. */
export function nearMiss(name: string, known: Iterable<string>): string | undefined {
  if (LITELLM_ONLY_KEYS.has(name)) return undefined;
  const lower = name.toLowerCase();
  // One edit for short names, two from eight characters: `n` is not a typo of `tpm`.
  const allowed = lower.length < 4 ? 0 : lower.length < 8 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = allowed + 1;
  for (const candidate of known) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === name ? undefined : best;
}
