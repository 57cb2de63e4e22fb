/**
 * Virtual keys: the master key's table with paging, search, create, block, regenerate,
 * delete and limit edits (the /key/* routes); a key's own session sees its own row only.
 */
import { useCallback, useEffect, useState } from "preact/hooks";
import { describe, getJson, postJson, query, type Session } from "../api.js";
import { count, usd, when } from "../format.js";
import { Field, Notice, Pager } from "../widgets.js";

export interface KeyView {
  token: string;
  key_name: string;
  key_alias: string | null;
  team_id: string | null;
  models: string[];
  spend: number;
  max_budget: number | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  expires: string | null;
  blocked: boolean | null;
}

interface KeyList {
  keys: KeyView[];
  current_page: number;
  has_more: boolean;
}

const PAGE_SIZE = 25;

function status(key: KeyView): string {
  if (key.blocked === true) return "blocked";
  if (key.expires !== null && Date.parse(key.expires) < Date.now()) return "expired";
  return "active";
}

function numberOrNull(text: string): number | null {
  return text.trim() === "" ? null : Number(text);
}

/** The plaintext of a key just created or regenerated: shown this once. */
function Plaintext({ secret, done }: { secret: string; done: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <section class="panel secret" aria-label="New key">
      <p class="warning">Copy this key now: it will not be shown again.</p>
      <code data-testid="plaintext-key">{secret}</code>
      <div class="actions">
        <button type="button" onClick={() => void navigator.clipboard.writeText(secret).then(() => setCopied(true))}>
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" class="secondary" onClick={done}>
          Done
        </button>
      </div>
    </section>
  );
}

function CreateKey({ created, cancel }: { created: (secret: string) => void; cancel: () => void }) {
  const [alias, setAlias] = useState("");
  const [models, setModels] = useState("");
  const [budget, setBudget] = useState("");
  const [rpm, setRpm] = useState("");
  const [tpm, setTpm] = useState("");
  const [expires, setExpires] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    const body: Record<string, unknown> = {};
    if (alias.trim() !== "") body.key_alias = alias.trim();
    const names = models
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== "");
    if (names.length > 0) body.models = names;
    if (budget.trim() !== "") body.max_budget = Number(budget);
    if (rpm.trim() !== "") body.rpm_limit = Number(rpm);
    if (tpm.trim() !== "") body.tpm_limit = Number(tpm);
    if (expires.trim() !== "") body.duration = expires.trim();
    try {
      created((await postJson<{ key: string }>("/key/generate", body)).key);
    } catch (failure) {
      setError(describe(failure));
    }
  };
  return (
    <form class="panel" aria-label="Create key" onSubmit={(event) => void submit(event)}>
      <div class="grid">
        <Field label="Alias" value={alias} set={setAlias} />
        <Field label="Models" value={models} set={setModels} placeholder="all; or gpt-4o, claude-3" />
        <Field label="Max budget (USD)" value={budget} set={setBudget} type="number" step="any" />
        <Field label="RPM limit" value={rpm} set={setRpm} type="number" />
        <Field label="TPM limit" value={tpm} set={setTpm} type="number" />
        <Field label="Expires in" value={expires} set={setExpires} placeholder="never; or 30d, 12h" />
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

function EditLimits({ keyView, saved, cancel }: { keyView: KeyView; saved: () => void; cancel: () => void }) {
  const [budget, setBudget] = useState(keyView.max_budget?.toString() ?? "");
  const [rpm, setRpm] = useState(keyView.rpm_limit?.toString() ?? "");
  const [tpm, setTpm] = useState(keyView.tpm_limit?.toString() ?? "");
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      await postJson("/key/update", {
        key: keyView.token,
        max_budget: numberOrNull(budget),
        rpm_limit: numberOrNull(rpm),
        tpm_limit: numberOrNull(tpm),
      });
      saved();
    } catch (failure) {
      setError(describe(failure));
    }
  };
  return (
    <form class="panel" aria-label="Edit limits" onSubmit={(event) => void submit(event)}>
      <p>
        Limits of <strong>{keyView.key_alias ?? keyView.key_name}</strong> (empty: none)
      </p>
      <div class="grid">
        <Field label="Max budget (USD)" value={budget} set={setBudget} type="number" step="any" />
        <Field label="RPM limit" value={rpm} set={setRpm} type="number" />
        <Field label="TPM limit" value={tpm} set={setTpm} type="number" />
      </div>
      {error !== undefined && <Notice error={error} />}
      <div class="actions">
        <button type="submit">Save</button>
        <button type="button" class="secondary" onClick={cancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function KeyRow({ keyView, admin, act }: { keyView: KeyView; admin: boolean; act: (action: string) => void }) {
  const [confirming, setConfirming] = useState(false);
  return (
    <tr>
      <td data-label="Alias">{keyView.key_alias ?? "—"}</td>
      <td data-label="Key">
        <code>{keyView.key_name}</code>
      </td>
      <td data-label="Models">{keyView.models.length === 0 ? "all" : keyView.models.join(", ")}</td>
      <td data-label="Spend / budget">
        {usd(keyView.spend)} / {keyView.max_budget === null ? "no limit" : usd(keyView.max_budget)}
      </td>
      <td data-label="RPM / TPM">
        {count(keyView.rpm_limit)} / {count(keyView.tpm_limit)}
      </td>
      <td data-label="Expires">{keyView.expires === null ? "never" : when(keyView.expires)}</td>
      <td data-label="Status">
        <span class={`badge ${status(keyView)}`}>{status(keyView)}</span>
      </td>
      {admin && (
        <td data-label="Actions" class="row-actions">
          {confirming ? (
            <>
              <span>Delete this key?</span>
              <button type="button" class="danger" onClick={() => act("delete")}>
                Confirm delete
              </button>
              <button type="button" class="secondary" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </>
          ) : (
            <>
              <button
                type="button"
                class="secondary"
                onClick={() => act(keyView.blocked === true ? "unblock" : "block")}
              >
                {keyView.blocked === true ? "Unblock" : "Block"}
              </button>
              <button type="button" class="secondary" onClick={() => act("edit")}>
                Edit limits
              </button>
              <button type="button" class="secondary" onClick={() => act("regenerate")}>
                Regenerate
              </button>
              <button type="button" class="danger" onClick={() => setConfirming(true)}>
                Delete
              </button>
            </>
          )}
        </td>
      )}
    </tr>
  );
}

export function Keys({ session }: { session: Session }) {
  const admin = session.role === "admin";
  const [page, setPage] = useState(1);
  const [list, setList] = useState<KeyList | undefined>(undefined);
  const [search, setSearch] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string | undefined>(undefined);
  const [editing, setEditing] = useState<KeyView | undefined>(undefined);

  const load = useCallback(async () => {
    try {
      if (admin) {
        // Searched by the server (aliases containing the text), so every page of keys is searched.
        const params = { page, size: PAGE_SIZE, return_full_object: "true", search: search.trim() };
        setList(await getJson<KeyList>(`/key/list${query(params)}`));
      } else {
        const own = await getJson<{ info: KeyView }>("/key/info");
        setList({ keys: [own.info], current_page: 1, has_more: false });
      }
      setError(undefined);
    } catch (failure) {
      setError(describe(failure));
    }
  }, [admin, page, search]);
  useEffect(() => void load(), [load]);

  const act = (keyView: KeyView) => async (action: string) => {
    try {
      if (action === "edit") setEditing(keyView);
      else if (action === "regenerate")
        setSecret((await postJson<{ key: string }>("/key/regenerate", { key: keyView.token })).key);
      else if (action === "delete") await postJson("/key/delete", { keys: [keyView.token] });
      else await postJson(`/key/${action}`, { key: keyView.token });
      await load();
    } catch (failure) {
      setError(describe(failure));
    }
  };

  const shown = list?.keys ?? [];

  return (
    <>
      <div class="toolbar">
        <label class="inline">
          Search
          <input
            type="search"
            value={search}
            onInput={(event) => {
              setSearch(event.currentTarget.value);
              setPage(1);
            }}
          />
        </label>
        {admin && !creating && (
          <button type="button" onClick={() => setCreating(true)}>
            Create key
          </button>
        )}
      </div>
      {secret !== undefined && <Plaintext secret={secret} done={() => setSecret(undefined)} />}
      {creating && (
        <CreateKey
          created={(key) => {
            setCreating(false);
            setSecret(key);
            void load();
          }}
          cancel={() => setCreating(false)}
        />
      )}
      {editing !== undefined && (
        <EditLimits
          keyView={editing}
          saved={() => {
            setEditing(undefined);
            void load();
          }}
          cancel={() => setEditing(undefined)}
        />
      )}
      {error !== undefined && <Notice error={error} />}
      <table class="responsive">
        <thead>
          <tr>
            <th>Alias</th>
            <th>Key</th>
            <th>Models</th>
            <th>Spend / budget</th>
            <th>RPM / TPM</th>
            <th>Expires</th>
            <th>Status</th>
            {admin && <th>Actions</th>}
          </tr>
        </thead>
        <tbody>
          {shown.map((key) => (
            <KeyRow key={key.token} keyView={key} admin={admin} act={(action) => void act(key)(action)} />
          ))}
        </tbody>
      </table>
      {list !== undefined && list.keys.length === 0 && <p class="empty">No keys yet.</p>}
      {admin && <Pager page={page} hasMore={list?.has_more ?? false} go={setPage} />}
    </>
  );
}
