// In the browser: the wasm first, then React renders the app, or hydrates what the server
// rendered (React 19 attaches the badge's `onpresence-change` at its next render, not while
// hydrating: facebook/react#35446).
import { createRoot, hydrateRoot } from "react-dom/client";
import { settings, startPresence } from "../../shared/presence";
import { App } from "./App";

const { sim, people } = settings(location.search);
await startPresence(sim);
const root = document.getElementById("root")!;
if (root.firstElementChild) {
  hydrateRoot(root, <App people={people} />);
} else {
  createRoot(root).render(<App people={people} />);
}
