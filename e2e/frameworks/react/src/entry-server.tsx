// On the server (no window, no customElements): the app rendered to HTML. Importing it imports
// the package, which must neither throw nor define anything here.
import { renderToString } from "react-dom/server";
import { App } from "./App";

export function render(people: string[]): string {
  return renderToString(<App people={people} />);
}
