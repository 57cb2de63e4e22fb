/**
 * The shell: sign-in until there is a session, then the navigation and the current page.
 * Pages are client routes under /ui/ (the proxy answers index.html for each).
 */
import { useCallback, useEffect, useState } from "preact/hooks";
import { describe, getJson, postJson, request, type Session, setSession } from "./api.js";
import { Dashboard } from "./pages/dashboard.js";
import { Keys } from "./pages/keys.js";
import { Logs } from "./pages/logs.js";
import { Models } from "./pages/models.js";
import { Playground } from "./pages/playground.js";
import { SignIn } from "./pages/sign-in.js";
import { Teams } from "./pages/teams.js";
import { Users } from "./pages/users.js";

interface PageDef {
  path: string;
  name: string;
  adminOnly: boolean;
  render: (session: Session) => preact.JSX.Element;
}

const DASHBOARD: PageDef = {
  path: "/ui/",
  name: "Dashboard",
  adminOnly: false,
  render: (s) => <Dashboard session={s} />,
};

const PAGES: readonly PageDef[] = [
  DASHBOARD,
  { path: "/ui/keys", name: "Keys", adminOnly: false, render: (s) => <Keys session={s} /> },
  { path: "/ui/teams", name: "Teams", adminOnly: true, render: () => <Teams /> },
  { path: "/ui/users", name: "Users", adminOnly: true, render: () => <Users /> },
  { path: "/ui/models", name: "Models", adminOnly: true, render: () => <Models /> },
  { path: "/ui/logs", name: "Logs", adminOnly: false, render: (s) => <Logs session={s} /> },
  { path: "/ui/playground", name: "Playground", adminOnly: false, render: () => <Playground /> },
];

function visiblePages(session: Session): readonly PageDef[] {
  return PAGES.filter((page) => session.role === "admin" || !page.adminOnly);
}

/** The page at a path; the Dashboard for /ui and for a page this session may not see. */
function pageAt(path: string, session: Session): PageDef {
  return visiblePages(session).find((page) => page.path === path) ?? DASHBOARD;
}

export function App() {
  const [session, setCurrent] = useState<Session | null | undefined>(undefined);
  const [path, setPath] = useState(location.pathname);

  const signedOut = useCallback(() => setCurrent(null), []);
  setSession(session ?? undefined, signedOut);

  useEffect(() => {
    getJson<Session>("/ui/session").then(setCurrent, () => setCurrent(null));
    const back = () => setPath(location.pathname);
    addEventListener("popstate", back);
    return () => removeEventListener("popstate", back);
  }, []);

  const go = (to: string) => (event: MouseEvent) => {
    // Ctrl/Cmd/Shift-click or a middle click opens a tab or window, as on any link.
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    history.pushState(null, "", to);
    setPath(to);
  };

  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null) {
    return (
      <SignIn
        signIn={async (key) => {
          try {
            setCurrent(await postJson<Session>("/ui/login", { key }));
            return null;
          } catch (error) {
            return describe(error);
          }
        }}
      />
    );
  }

  const current = pageAt(path, session);
  const signOut = async () => {
    await request("/ui/logout", {}).catch(() => undefined);
    setCurrent(null);
  };
  return (
    <div class="shell">
      <header>
        <span class="brand">litegate</span>
        <nav aria-label="Main">
          {visiblePages(session).map((page) => (
            <a
              key={page.path}
              href={page.path}
              onClick={go(page.path)}
              aria-current={page === current ? "page" : undefined}
            >
              {page.name}
            </a>
          ))}
        </nav>
        <span class="who">{session.role === "admin" ? "master key" : session.key_name}</span>
        <button type="button" class="secondary" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main>
        <h1>{current.name}</h1>
        {current.render(session)}
      </main>
    </div>
  );
}
