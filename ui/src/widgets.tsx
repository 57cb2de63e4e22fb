/** Small pieces every page uses: a labelled field, an error notice, a pager. */
import { useId } from "preact/hooks";

interface FieldProps {
  label: string;
  value: string;
  set: (value: string) => void;
  type?: "text" | "number" | "email" | "date";
  step?: string;
  placeholder?: string;
}

export function Field({ label, value, set, type = "text", step, placeholder }: FieldProps) {
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
        <input {...common} type="text" />
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

export function Pager({ page, hasMore, go }: { page: number; hasMore: boolean; go: (page: number) => void }) {
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" class="secondary" disabled={page <= 1} onClick={() => go(page - 1)}>
        Previous
      </button>
      <span>Page {page}</span>
      <button type="button" class="secondary" disabled={!hasMore} onClick={() => go(page + 1)}>
        Next
      </button>
    </nav>
  );
}
