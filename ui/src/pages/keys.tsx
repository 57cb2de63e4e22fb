/**
 * Virtual keys: the master key's table with paging, search, create, block, regenerate,
 * delete and limit edits (the /key/* routes); a key's own session sees its own row only.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { describe, postJson, query, type Session } from "../api.js";
import { limitsOf, spendOf, when } from "../format.js";
import { Field, FormPanel, Notice, numberIn, Pager, SearchBox, useFocusFirst, useGet } from "../widgets.js";

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

/**
 * Copies to the clipboard; where the browser has none (a page served over plain http from
 * another host is not a secure context) or refuses, selects the key for Ctrl+C instead.
 */
async function copy(text: string, shown: HTMLElement | null): Promise<"Copied" | "Selected: press Ctrl+C"> {
  try {
    // Absent outside a secure context, whatever the DOM's types say.
    if ((navigator.clipboard as Clipboard | undefined) !== undefined) {
      await navigator.clipboard.writeText(text);
      return "Copied";
    }
  } catch {
    // Refused (no permission): selected below.
  }
  const selection = getSelection();
  if (shown !== null && selection !== null) {
    const range = document.createRange();
    range.selectNodeContents(shown);
    selection.removeAllRanges();
    selection.addRange(range);
  }
  return "Selected: press Ctrl+C";
}

/** The plaintext of a key just created or regenerated: shown this once. */
function Plaintext({ secret, done }: { secret: string; done: () => void }) {
  const [copied, setCopied] = useState<string | undefined>(undefined);
  const code = useRef<HTMLElement>(null);
  const box = useFocusFirst<HTMLElement>("button");
  return (
    <section class="panel secret" aria-label="New key" ref={box}>
      <p class="warning">Copy this key now: it will not be shown again.</p>
      <code data-testid="plaintext-key" ref={code}>
        {secret}
      </code>
      <div class="actions">
        <button type="button" onClick={() => void copy(secret, code.current).then(setCopied)}>
          Copy
        </button>
        <button type="button" class="secondary" onClick={done}>
          Done
        </button>
        <span role="status">{copied}</span>
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
  const submit = async () => {
    const body: Record<string, unknown> = {};
    if (alias.trim() !== "") body.key_alias = alias.trim();
    const names = models
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== "");
    if (names.length > 0) body.models = names;
    body.max_budget = numberIn(budget);
    body.rpm_limit = numberIn(rpm);
    body.tpm_limit = numberIn(tpm);
    if (expires.trim() !== "") body.duration = expires.trim();
    created((await postJson<{ key: string }>("/key/generate", body)).key);
  };
  return (
    <FormPanel label="Create key" submitLabel="Create" submit={submit} cancel={cancel}>
      <Field label="Alias" value={alias} set={setAlias} />
      <Field label="Models" value={models} set={setModels} placeholder="all; or gpt-4o, claude-3" />
      <Field label="Max budget (USD)" value={budget} set={setBudget} type="number" step="any" />
      <Field label="RPM limit" value={rpm} set={setRpm} type="number" />
      <Field label="TPM limit" value={tpm} set={setTpm} type="number" />
      <Field label="Expires in" value={expires} set={setExpires} placeholder="never; or 30d, 12h" />
    </FormPanel>
  );
}

function EditLimits({ keyView, saved, cancel }: { keyView: KeyView; saved: () => void; cancel: () => void }) {
  const [budget, setBudget] = useState(keyView.max_budget?.toString() ?? "");
  const [rpm, setRpm] = useState(keyView.rpm_limit?.toString() ?? "");
  const [tpm, setTpm] = useState(keyView.tpm_limit?.toString() ?? "");
  const submit = async () => {
    await postJson("/key/update", {
      key: keyView.token,
      // Emptied: no limit any more.
      max_budget: numberIn(budget) ?? null,
      rpm_limit: numberIn(rpm) ?? null,
      tpm_limit: numberIn(tpm) ?? null,
    });
    saved();
  };
  const intro = (
    <p>
      Limits of <strong>{keyView.key_alias ?? keyView.key_name}</strong> (empty: none)
    </p>
  );
  return (
    <FormPanel label="Edit limits" submitLabel="Save" submit={submit} cancel={cancel} intro={intro}>
      <Field label="Max budget (USD)" value={budget} set={setBudget} type="number" step="any" />
      <Field label="RPM limit" value={rpm} set={setRpm} type="number" />
      <Field label="TPM limit" value={tpm} set={setTpm} type="number" />
    </FormPanel>
  );
}

/** What a row asks before doing: both end the key's current plaintext for good. */
const CONFIRM = {
  delete: { question: "Delete this key?", button: "Confirm delete" },
  regenerate: { question: "Regenerate this key? The current one stops working.", button: "Confirm regenerate" },
} as const;

function Confirm({ action, act, cancel }: { action: keyof typeof CONFIRM; act: () => void; cancel: () => void }) {
  // Focus on Cancel, the harmless choice; Escape is Cancel too.
  const ref = useFocusFirst<HTMLFieldSetElement>("button.secondary");
  return (
    <fieldset
      class="confirm"
      aria-label={CONFIRM[action].question}
      ref={ref}
      onKeyDown={(event) => {
        if (event.key === "Escape") cancel();
      }}
    >
      <span>{CONFIRM[action].question}</span>
      <button type="button" class="danger" onClick={act}>
        {CONFIRM[action].button}
      </button>
      <button type="button" class="secondary" onClick={cancel}>
        Cancel
      </button>
    </fieldset>
  );
}

function KeyRow({ keyView, admin, act }: { keyView: KeyView; admin: boolean; act: (action: string) => void }) {
  const [confirming, setConfirming] = useState<keyof typeof CONFIRM | undefined>(undefined);
  // The question replaces the row's buttons, so its own focus-back finds its opener gone:
  // cancelling focuses the button that asked, drawn again, from here.
  const [cancelled, setCancelled] = useState<keyof typeof CONFIRM | undefined>(undefined);
  const openers = { delete: useRef<HTMLButtonElement>(null), regenerate: useRef<HTMLButtonElement>(null) };
  useEffect(() => {
    if (cancelled === undefined) return;
    openers[cancelled].current?.focus();
    setCancelled(undefined);
  });
  return (
    <tr>
      <td data-label="Alias">{keyView.key_alias ?? "—"}</td>
      <td data-label="Key">
        <code>{keyView.key_name}</code>
      </td>
      <td data-label="Models">{keyView.models.length === 0 ? "all" : keyView.models.join(", ")}</td>
      <td data-label="Spend / budget">{spendOf(keyView.spend, keyView.max_budget)}</td>
      <td data-label="RPM / TPM">{limitsOf(keyView.rpm_limit, keyView.tpm_limit)}</td>
      <td data-label="Expires">{keyView.expires === null ? "never" : when(keyView.expires)}</td>
      <td data-label="Status">
        <span class={`badge ${status(keyView)}`}>{status(keyView)}</span>
      </td>
      {admin && (
        <td data-label="Actions" class="row-actions">
          {confirming !== undefined ? (
            <Confirm
              action={confirming}
              act={() => {
                setConfirming(undefined);
                act(confirming);
              }}
              cancel={() => {
                setCancelled(confirming);
                setConfirming(undefined);
              }}
            />
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
              <button
                type="button"
                class="secondary"
                ref={openers.regenerate}
                onClick={() => setConfirming("regenerate")}
              >
                Regenerate
              </button>
              <button type="button" class="danger" ref={openers.delete} onClick={() => setConfirming("delete")}>
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
  const [search, setSearch] = useState("");
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string | undefined>(undefined);
  const [editing, setEditing] = useState<KeyView | undefined>(undefined);

  // Searched by the server (aliases containing the text), so every page of keys is searched.
  const params = { page, size: PAGE_SIZE, return_full_object: "true", search: search.trim() };
  const list = useGet<KeyList>(admin ? `/key/list${query(params)}` : null);
  // A key's own session reads its own row only.
  const own = useGet<{ info: KeyView }>(admin ? null : "/key/info");
  const loaded = admin ? list : own;
  const shown = admin ? list.data?.keys : own.data === undefined ? undefined : [own.data.info];

  // Past the last page (its last key deleted, or a search narrowing it): the page before.
  useEffect(() => {
    if (list.data !== undefined && list.data.keys.length === 0 && page > 1) setPage((at) => Math.max(1, at - 1));
  }, [list.data, page]);

  const act = (keyView: KeyView) => async (action: string) => {
    try {
      if (action === "edit") setEditing(keyView);
      else if (action === "regenerate")
        setSecret((await postJson<{ key: string }>("/key/regenerate", { key: keyView.token })).key);
      else if (action === "delete") await postJson("/key/delete", { keys: [keyView.token] });
      else await postJson(`/key/${action}`, { key: keyView.token });
      await loaded.reload();
    } catch (failure) {
      loaded.setError(describe(failure));
    }
  };

  return (
    <>
      {admin && (
        <div class="toolbar">
          <SearchBox
            value={search}
            placeholder="alias"
            search={(text) => {
              setSearch(text);
              setPage(1);
            }}
          />
          <button type="button" aria-expanded={creating} onClick={() => setCreating(!creating)}>
            Create key
          </button>
        </div>
      )}
      {secret !== undefined && <Plaintext key={secret} secret={secret} done={() => setSecret(undefined)} />}
      {creating && (
        <CreateKey
          created={(key) => {
            setCreating(false);
            setSecret(key);
            void loaded.reload();
          }}
          cancel={() => setCreating(false)}
        />
      )}
      {editing !== undefined && (
        <EditLimits
          // A fresh form per key: another row's Edit limits must not keep this one's values.
          key={editing.token}
          keyView={editing}
          saved={() => {
            setEditing(undefined);
            void loaded.reload();
          }}
          cancel={() => setEditing(undefined)}
        />
      )}
      {loaded.error !== undefined && <Notice error={loaded.error} />}
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
          {(shown ?? []).map((key) => (
            <KeyRow key={key.token} keyView={key} admin={admin} act={(action) => void act(key)(action)} />
          ))}
        </tbody>
      </table>
      {shown !== undefined && shown.length === 0 && page === 1 && (
        <p class="empty">{search.trim() === "" ? "No keys yet." : `No key's alias contains "${search.trim()}".`}</p>
      )}
      {admin && <Pager page={page} hasMore={list.data?.has_more ?? false} go={setPage} />}
    </>
  );
}
