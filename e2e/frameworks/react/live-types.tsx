// The live entry's typings in TSX (type-checked on their own by tsconfig.live.json): its own
// elements, and the list's `avatars`.
import type {} from "presence-widgets/live/react";

export const live = (
  <>
    <presence-avatar source="teams" user="u1" name="Amélie Silva" size={24} onpresence-change={(e) => e.detail.availability} />
    <presence-list source="teams" users={["u1", "u2"]} avatars />
    <presence-status-picker source="teams" user="u1" onpresence-set={(e) => e.detail.status} />
  </>
);
