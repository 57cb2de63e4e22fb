/** Users: budgets, spend, teams and key counts (/user/list, paged), and a form for /user/new. */
import { useCallback, useEffect, useState } from "preact/hooks";
import { describe, getJson, postJson, query } from "../api.js";
import { count, usd } from "../format.js";
import { Field, Notice, Pager } from "../widgets.js";

interface UserView {
  user_id: string;
  user_email: string | null;
  user_role: string | null;
  teams: string[];
  spend: number;
  max_budget: number | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  key_count: number;
}

interface UserList {
  users: UserView[];
  total: number;
  page: number;
  total_pages: number;
}

function CreateUser({ created, cancel }: { created: () => void; cancel: () => void }) {
  const [email, setEmail] = useState("");
  const [budget, setBudget] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    const body: Record<string, unknown> = { auto_create_key: false };
    if (email.trim() !== "") body.user_email = email.trim();
    if (budget.trim() !== "") body.max_budget = Number(budget);
    try {
      await postJson("/user/new", body);
      created();
    } catch (failure) {
      setError(describe(failure));
    }
  };
  return (
    <form class="panel" aria-label="Create user" onSubmit={(event) => void submit(event)}>
      <div class="grid">
        <Field label="Email" value={email} set={setEmail} type="email" />
        <Field label="Max budget (USD)" value={budget} set={setBudget} type="number" step="any" />
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

export function Users() {
  const [page, setPage] = useState(1);
  const [list, setList] = useState<UserList | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [creating, setCreating] = useState(false);
  const load = useCallback(async () => {
    try {
      setList(await getJson<UserList>(`/user/list${query({ page, page_size: 25 })}`));
    } catch (failure) {
      setError(describe(failure));
    }
  }, [page]);
  useEffect(() => void load(), [load]);
  return (
    <>
      <div class="toolbar">
        {!creating && (
          <button type="button" onClick={() => setCreating(true)}>
            Create user
          </button>
        )}
      </div>
      {creating && (
        <CreateUser
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
            <th>User</th>
            <th>Email</th>
            <th>Role</th>
            <th>Teams</th>
            <th>Keys</th>
            <th>Spend / budget</th>
            <th>RPM / TPM</th>
          </tr>
        </thead>
        <tbody>
          {(list?.users ?? []).map((user) => (
            <tr key={user.user_id}>
              <td data-label="User">
                <code>{user.user_id}</code>
              </td>
              <td data-label="Email">{user.user_email ?? "—"}</td>
              <td data-label="Role">{user.user_role ?? "—"}</td>
              <td data-label="Teams">{user.teams.length === 0 ? "—" : user.teams.join(", ")}</td>
              <td data-label="Keys">{user.key_count}</td>
              <td data-label="Spend / budget">
                {usd(user.spend)} / {user.max_budget === null ? "no limit" : usd(user.max_budget)}
              </td>
              <td data-label="RPM / TPM">
                {count(user.rpm_limit)} / {count(user.tpm_limit)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list !== undefined && list.total === 0 && <p class="empty">No users yet.</p>}
      <Pager page={page} hasMore={list !== undefined && page < list.total_pages} go={setPage} />
    </>
  );
}
