/** Small pieces every page uses: a labelled field, an error notice, a pager, a form panel, a loader. */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useId, useRef, useState } from "preact/hooks";
import { describe, getJson } from "./api.js";

interface FieldProps {
  label: string;
  value: string;
  set: (value: string) => void;
  type?: "text" | "number" | "email" | "date";
  step?: string;
  placeholder?: string;
  /** The id of a <datalist> whose values a text field offers. */
  list?: string;
}

export function Field({ label, value, set, type = "text", step, placeholder, list }: FieldProps) {
  const id = useId();
  const common = {
    id,
    placeholder,
    value,
    onInput: (event: { currentTarget: HTMLInputElement }) => set(event.currentTarget.value),
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {/* Spelled out per type: Preact types each input type's attributes separately. */}
      {type === "number" ? (
        <input {...common} type="number" step={step} />
      ) : type === "email" ? (
        <input {...common} type="email" />
      ) : type === "date" ? (
        <input {...common} type="date" />
      ) : (
        <input {...common} type="text" list={list} />
      )}
    </div>
  );
}

export function Notice({ error }: { error: string }) {
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

interface PagerProps {
  page: number;
  hasMore: boolean;
  go: (page: number) => void;
  /** How many pages there are, when the server says. */
  pages?: number | undefined;
}

export function Pager({ page, hasMore, go, pages }: PagerProps) {
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" class="secondary" disabled={page <= 1} onClick={() => go(page - 1)}>
        Previous
      </button>
      <span>
        Page {page}
        {pages !== undefined && pages > 0 && ` of ${pages}`}
      </span>
      <button type="button" class="secondary" disabled={!hasMore} onClick={() => go(page + 1)}>
        Next
      </button>
    </nav>
  );
}

/** A toolbar's search box: each change searches anew from the first page (`search`). */
export function SearchBox({
  value,
  placeholder,
  search,
}: {
  value: string;
  placeholder: string;
  search: (text: string) => void;
}) {
  return (
    <label class="inline">
      Search
      <input
        type="search"
        value={value}
        placeholder={placeholder}
        onInput={(event) => search(event.currentTarget.value)}
      />
    </label>
  );
}

/**
 * Focuses the first `selector` inside the element on mounting; when it goes with focus inside
 * it (or focus lost), gives focus back to where it was before, if that is still on the page.
 */
export function useFocusFirst<E extends HTMLElement>(selector: string) {
  const ref = useRef<E>(null);
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const box = ref.current;
    box?.querySelector<HTMLElement>(selector)?.focus();
    return () => {
      const at = document.activeElement;
      const inside = at === null || at === document.body || box?.contains(at) === true;
      if (inside && opener?.isConnected === true) opener.focus();
    };
  }, [selector]);
  return ref;
}

interface FormPanelProps {
  /** The form's accessible name. */
  label: string;
  submitLabel: string;
  /** Sends the form; a thrown error (the gateway's 4xx message) is shown in the form. */
  submit: () => Promise<void>;
  cancel: () => void;
  intro?: ComponentChildren;
  children: ComponentChildren;
}

/**
 * A form in a panel: its first field focused on opening, Escape or Cancel closing it (focus
 * back where it was), the gateway's error shown in it, the submit button off while sending.
 */
export function FormPanel({ label, submitLabel, submit, cancel, intro, children }: FormPanelProps) {
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const ref = useFocusFirst<HTMLFormElement>("input, select, textarea");
  const send = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      await submit();
    } catch (failure) {
      setError(describe(failure));
    }
    setBusy(false);
  };
  return (
    <form
      class="panel"
      aria-label={label}
      ref={ref}
      onSubmit={(event) => void send(event)}
      onKeyDown={(event) => {
        if (event.key === "Escape") cancel();
      }}
    >
      {intro}
      <div class="grid">{children}</div>
      {error !== undefined && <Notice error={error} />}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {submitLabel}
        </button>
        <button type="button" class="secondary" onClick={cancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/**
 * A number field's value: undefined when empty (JSON leaves it out). The browser lets a form
 * with anything else in a number field not submit at all.
 */
export function numberIn(text: string): number | undefined {
  return text.trim() === "" ? undefined : Number(text);
}

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  setError: (error: string | undefined) => void;
  reload: () => Promise<void>;
}

/**
 * GETs `path` (nothing when null) whenever it changes, keeping only the newest answer: typing
 * in a search or filter sends a request per keystroke, and a slow early one must not land last.
 */
export function useGet<T>(path: string | null): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const latest = useRef(0);
  const reload = useCallback(async () => {
    if (path === null) return;
    const mine = ++latest.current;
    try {
      const answer = await getJson<T>(path);
      if (mine !== latest.current) return;
      setData(answer);
      setError(undefined);
    } catch (failure) {
      if (mine === latest.current) setError(describe(failure));
    }
  }, [path]);
  useEffect(() => void reload(), [reload]);
  return { data, error, setError, reload };
}
