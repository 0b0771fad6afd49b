// What the default entry's typings allow in TSX (type-checked, not bundled): its elements with
// their attributes, properties and events; not the live entry's.
import type {} from "presence-widgets/react";

export const list = <presence-list source="teams" users={["u1", "u2"]} group onpresence-error={(e) => e.detail.stale} />;
// @ts-expect-error: the list's `avatars` is the live entry's.
export const avatars = <presence-list source="teams" users="u1" avatars />;
// @ts-expect-error: <presence-avatar> is the live entry's.
export const avatar = <presence-avatar source="teams" user="u1" />;
