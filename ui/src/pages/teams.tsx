/** Teams: their budgets, limits and spend (/team/list), and a form for /team/new. */
import { useCallback, useEffect, useState } from "preact/hooks";
import { describe, getJson, postJson } from "../api.js";
import { count, usd } from "../format.js";
import { Field, Notice } from "../widgets.js";

interface TeamView {
  team_id: string;
  team_alias: string | null;
  members_with_roles: unknown[];
  models: string[];
  spend: number;
  max_budget: number | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  blocked: boolean;
  keys: unknown[];
}

function CreateTeam({ created, cancel }: { created: () => void; cancel: () => void }) {
  const [alias, setAlias] = useState("");
  const [budget, setBudget] = useState("");
  const [rpm, setRpm] = useState("");
  const [tpm, setTpm] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    const body: Record<string, unknown> = { team_alias: alias.trim() };
    if (budget.trim() !== "") body.max_budget = Number(budget);
    if (rpm.trim() !== "") body.rpm_limit = Number(rpm);
    if (tpm.trim() !== "") body.tpm_limit = Number(tpm);
    try {
      await postJson("/team/new", body);
      created();
    } catch (failure) {
      setError(describe(failure));
    }
  };
  return (
    <form class="panel" aria-label="Create team" onSubmit={(event) => void submit(event)}>
      <div class="grid">
        <Field label="Team alias" value={alias} set={setAlias} />
        <Field label="Max budget (USD)" value={budget} set={setBudget} type="number" step="any" />
        <Field label="RPM limit" value={rpm} set={setRpm} type="number" />
        <Field label="TPM limit" value={tpm} set={setTpm} type="number" />
      </div>
      {error !== undefined && <Notice error={error} />}
      <div class="actions">
        <button type="submit">Create</button>
        <button type="button" class="secondary" onClick={cancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function Teams() {
  const [teams, setTeams] = useState<TeamView[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [creating, setCreating] = useState(false);
  const load = useCallback(async () => {
    try {
      setTeams(await getJson<TeamView[]>("/team/list"));
    } catch (failure) {
      setError(describe(failure));
    }
  }, []);
  useEffect(() => void load(), [load]);
  return (
    <>
      <div class="toolbar">
        {!creating && (
          <button type="button" onClick={() => setCreating(true)}>
            Create team
          </button>
        )}
      </div>
      {creating && (
        <CreateTeam
          created={() => {
            setCreating(false);
            void load();
          }}
          cancel={() => setCreating(false)}
        />
      )}
      {error !== undefined && <Notice error={error} />}
      <table class="responsive">
        <thead>
          <tr>
            <th>Team</th>
            <th>Id</th>
            <th>Members</th>
            <th>Keys</th>
            <th>Spend / budget</th>
            <th>RPM / TPM</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {(teams ?? []).map((team) => (
            <tr key={team.team_id}>
              <td data-label="Team">{team.team_alias ?? "—"}</td>
              <td data-label="Id">
                <code>{team.team_id}</code>
              </td>
              <td data-label="Members">{team.members_with_roles.length}</td>
              <td data-label="Keys">{team.keys.length}</td>
              <td data-label="Spend / budget">
                {usd(team.spend)} / {team.max_budget === null ? "no limit" : usd(team.max_budget)}
              </td>
              <td data-label="RPM / TPM">
                {count(team.rpm_limit)} / {count(team.tpm_limit)}
              </td>
              <td data-label="Status">
                <span class={`badge ${team.blocked ? "blocked" : "active"}`}>
                  {team.blocked ? "blocked" : "active"}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {teams !== undefined && teams.length === 0 && <p class="empty">No teams yet.</p>}
    </>
  );
}
