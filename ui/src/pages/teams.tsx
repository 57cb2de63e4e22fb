/**
 * Teams: their budgets, limits and spend (/team/list), and a form for /team/new. LiteLLM's
 * /team/list answers every team at once (no pages), so the table pages them here.
 */
import { useEffect, useState } from "preact/hooks";
import { postJson } from "../api.js";
import { limitsOf, spendOf } from "../format.js";
import { Field, FormPanel, Notice, numberIn, Pager, useGet } from "../widgets.js";

const PAGE_SIZE = 25;

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
  const submit = async () => {
    const body: Record<string, unknown> = {};
    // No alias is none, not "": the table shows the team by its id then.
    if (alias.trim() !== "") body.team_alias = alias.trim();
    body.max_budget = numberIn(budget);
    body.rpm_limit = numberIn(rpm);
    body.tpm_limit = numberIn(tpm);
    await postJson("/team/new", body);
    created();
  };
  return (
    <FormPanel label="Create team" submitLabel="Create" submit={submit} cancel={cancel}>
      <Field label="Team alias" value={alias} set={setAlias} />
      <Field label="Max budget (USD)" value={budget} set={setBudget} type="number" step="any" />
      <Field label="RPM limit" value={rpm} set={setRpm} type="number" />
      <Field label="TPM limit" value={tpm} set={setTpm} type="number" />
    </FormPanel>
  );
}

export function Teams() {
  const { data: teams, error, reload } = useGet<TeamView[]>("/team/list");
  const [creating, setCreating] = useState(false);
  const [page, setPage] = useState(1);
  const pages = Math.ceil((teams?.length ?? 0) / PAGE_SIZE);
  // Past the last page (fewer teams since): the last one.
  useEffect(() => {
    if (pages > 0 && page > pages) setPage(pages);
  }, [page, pages]);
  const shown = (teams ?? []).slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  return (
    <>
      <div class="toolbar">
        <button type="button" aria-expanded={creating} onClick={() => setCreating(!creating)}>
          Create team
        </button>
      </div>
      {creating && (
        <CreateTeam
          created={() => {
            setCreating(false);
            void reload();
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
          {shown.map((team) => (
            <tr key={team.team_id}>
              <td data-label="Team">{team.team_alias || "—"}</td>
              <td data-label="Id">
                <code>{team.team_id}</code>
              </td>
              <td data-label="Members">{team.members_with_roles.length}</td>
              <td data-label="Keys">{team.keys.length}</td>
              <td data-label="Spend / budget">{spendOf(team.spend, team.max_budget)}</td>
              <td data-label="RPM / TPM">{limitsOf(team.rpm_limit, team.tpm_limit)}</td>
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
      <Pager page={page} hasMore={page < pages} pages={pages} go={setPage} />
    </>
  );
}
