import { useState } from "preact/hooks";

/** The sign-in form: the master key (or a virtual key) goes to /ui/login once, then only the cookie. */
export function SignIn({ signIn }: { signIn: (key: string) => Promise<string | null> }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    const failure = await signIn(key);
    setBusy(false);
    if (failure !== null) setError(failure);
    else setKey("");
  };
  return (
    <main class="sign-in">
      <form onSubmit={(event) => void submit(event)}>
        <h1>litegate</h1>
        <label for="master-key">Master key</label>
        <input
          id="master-key"
          type="password"
          autocomplete="current-password"
          value={key}
          onInput={(event) => setKey(event.currentTarget.value)}
          required
        />
        <p class="hint">A virtual key signs in too, to see its own usage.</p>
        {error !== undefined && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
