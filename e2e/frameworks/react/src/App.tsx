// The app: a live badge for one person at a time, the last presence-change it was told of
// (bound the React 19 way, `onpresence-change`), and a button that shows the next person by
// changing the badge's `user` (React 19 sets it as the element's property).
import { useState } from "react";
import type {} from "presence-widgets/react";
import { said } from "../../shared/presence";

export function App({ people }: { people: string[] }) {
  const [index, setIndex] = useState(0);
  const [last, setLast] = useState("nothing yet");
  const user = people[index] ?? "";
  return (
    <main>
      <h1>A React 19 app</h1>
      <p>
        Someone:{" "}
        <presence-badge
          id="badge"
          source="teams"
          user={user}
          show-label
          onpresence-change={(event) => setLast(said(event))}
        />
      </p>
      <p id="changed">{last}</p>
      <button id="next" type="button" onClick={() => setIndex((i) => (i + 1) % Math.max(people.length, 1))}>
        Next person
      </button>
    </main>
  );
}
