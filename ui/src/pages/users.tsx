/**
 * Users: budgets, spend, teams and key counts (/user/list, paged and searched by email on the
 * server), and a form for /user/new.
 */
import { useState } from "preact/hooks";
import { postJson, query } from "../api.js";
import { limitsOf, spendOf } from "../format.js";
import { Field, FormPanel, Notice, numberIn, Pager, SearchBox, useGet } from "../widgets.js";

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
  const submit = async () => {
    const body: Record<string, unknown> = { auto_create_key: false };
    if (email.trim() !== "") body.user_email = email.trim();
    body.max_budget = numberIn(budget);
    await postJson("/user/new", body);
    created();
  };
  return (
    <FormPanel label="Create user" submitLabel="Create" submit={submit} cancel={cancel}>
      <Field label="Email" value={email} set={setEmail} type="email" />
      <Field label="Max budget (USD)" value={budget} set={setBudget} type="number" step="any" />
    </FormPanel>
  );
}

export function Users() {
  const [page, setPage] = useState(1);
  const [search, setSearch] = useState("");
  const params = { page, page_size: 25, user_email: search.trim() };
  const { data: list, error, reload } = useGet<UserList>(`/user/list${query(params)}`);
  const [creating, setCreating] = useState(false);
  return (
    <>
      <div class="toolbar">
        <SearchBox
          value={search}
          placeholder="email"
          search={(text) => {
            setSearch(text);
            setPage(1);
          }}
        />
        <button type="button" aria-expanded={creating} onClick={() => setCreating(!creating)}>
          Create user
        </button>
      </div>
      {creating && (
        <CreateUser
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
              <td data-label="Spend / budget">{spendOf(user.spend, user.max_budget)}</td>
              <td data-label="RPM / TPM">{limitsOf(user.rpm_limit, user.tpm_limit)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list !== undefined && list.total === 0 && (
        <p class="empty">{search.trim() === "" ? "No users yet." : `No user's email contains "${search.trim()}".`}</p>
      )}
      <Pager
        page={page}
        hasMore={list !== undefined && page < list.total_pages}
        pages={list?.total_pages}
        go={setPage}
      />
    </>
  );
}
