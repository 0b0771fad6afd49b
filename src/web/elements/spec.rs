//! The one description of the custom elements: each one's attributes (and the JS property each
//! is), events, parts and custom properties. The elements observe these attributes; the
//! package's TypeScript types (by `build.rs`), its Custom Elements Manifest
//! (`custom-elements.json`) and the README's tables (by `cargo xtask`) are made from it.
//!
//! Plain data with no dependency: `build.rs` and xtask include this file as it is.

/// A custom element.
pub struct Element {
    /// Its tag, `presence-badge`.
    pub tag: &'static str,
    /// Its TypeScript interface, `PresenceBadgeElement`.
    pub class: &'static str,
    /// What it is, in a sentence.
    pub summary: &'static str,
    /// The cargo feature it needs beyond `element` (the picker: `write`; the avatar: `avatar`): such
    /// elements are in the package's live entry.
    pub feature: Option<&'static str>,
    /// Its attributes, each also a JS property.
    pub attributes: &'static [Attribute],
    /// The events it fires (bubbling, composed).
    pub events: &'static [Event],
    /// Its shadow parts, for `::part()`.
    pub parts: &'static [Part],
}

/// An attribute and the JS property that reflects it.
pub struct Attribute {
    /// The attribute, `show-label`.
    pub name: &'static str,
    /// The property, `showLabel`.
    pub property: &'static str,
    /// What its value is.
    pub kind: Kind,
    /// What it does.
    pub description: &'static str,
    /// Its default, as the README says it.
    pub default: &'static str,
    /// The cargo feature it needs (the list's `avatars`: `avatar`), so that only the package's
    /// live entry has it; `None` for every build.
    pub feature: Option<&'static str>,
}

/// What an attribute's value is, and so its property's type.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text: the property is a string ("" when unset).
    Text,
    /// Present or not: the property is a boolean.
    Flag,
    /// A size in pixels, 10 to 32: the property is a number.
    Size,
    /// Ids by commas or spaces: the property is a list of ids (set a list or a string).
    Ids,
    /// A JSON object of id to name: the property is that object (set one or its JSON).
    Names,
}

impl Kind {
    /// The property's TypeScript type as read.
    pub fn read_type(self) -> &'static str {
        match self {
            Kind::Text => "string",
            Kind::Flag => "boolean",
            Kind::Size => "number",
            Kind::Ids => "string[]",
            Kind::Names => "Record<string, string>",
        }
    }

    /// The property's TypeScript type as set.
    pub fn write_type(self) -> &'static str {
        match self {
            Kind::Ids => "string[] | string",
            Kind::Names => "Record<string, string> | string",
            other => other.read_type(),
        }
    }

    /// The attribute's type, as the manifest says it.
    pub fn attribute_type(self) -> &'static str {
        match self {
            Kind::Flag => "boolean",
            Kind::Size => "number",
            _ => "string",
        }
    }
}

/// An event.
pub struct Event {
    /// Its name, `presence-change`.
    pub name: &'static str,
    /// The TypeScript type of its `detail`.
    pub detail: &'static str,
    /// When it fires and what it says.
    pub description: &'static str,
}

/// A shadow part.
pub struct Part {
    /// Its name, `base`.
    pub name: &'static str,
    /// What it is.
    pub description: &'static str,
}

/// A custom property every element reads.
pub struct CssProperty {
    /// Its name, `--presence-available`.
    pub name: &'static str,
    /// What it sets.
    pub description: &'static str,
    /// Its default (light scheme).
    pub default: &'static str,
}

const SOURCE: Attribute = Attribute {
    name: "source",
    property: "source",
    kind: Kind::Text,
    description: "The configured source's name (a key of `configure()`'s `sources`).",
    default: "—",
    feature: None,
};

/// The `user` attribute, described as `description` says.
const fn user(description: &'static str) -> Attribute {
    Attribute {
        name: "user",
        property: "user",
        kind: Kind::Text,
        description,
        default: "—",
        feature: None,
    }
}

const USERS: Attribute = Attribute {
    name: "users",
    property: "users",
    kind: Kind::Ids,
    description: "The people's ids at that source, by commas or spaces.",
    default: "—",
    feature: None,
};

const SIZE: Attribute = Attribute {
    name: "size",
    property: "size",
    kind: Kind::Size,
    description: "The icon's size in pixels, 10 to 32.",
    default: "16",
    feature: None,
};

const CHANGE: Event = Event {
    name: "presence-change",
    detail: "Presence",
    description: "Someone's presence changed (or how the source learns of it): the normalized presence, with `mode` and `modeReason`.",
};

const ERROR: Event = Event {
    name: "presence-error",
    detail: "PresenceErrorDetail",
    description: "A read failed (`stale: true`: the last presence is kept) or a person was never loaded: `{ source, user, stale, message, error }`.",
};

const BASE: Part = Part {
    name: "base",
    description: "The component's root.",
};
const DOT: Part = Part {
    name: "dot",
    description: "A status icon (SVG).",
};
const LABEL: Part = Part {
    name: "label",
    description: "A status in words.",
};

/// Every element, in the order the docs give them.
pub const ELEMENTS: &[Element] = &[
    Element {
        tag: "presence-badge",
        class: "PresenceBadgeElement",
        summary: "One person's status: an icon, and its words with `show-label`.",
        feature: None,
        attributes: &[
            SOURCE,
            user("The person's id at that source."),
            Attribute {
                name: "show-label",
                property: "showLabel",
                kind: Kind::Flag,
                description: "The status in words beside the icon.",
                default: "off",
                feature: None,
            },
            SIZE,
        ],
        events: &[CHANGE, ERROR],
        parts: &[BASE, DOT, LABEL],
    },
    Element {
        tag: "presence-list",
        class: "PresenceListElement",
        summary: "People with their statuses, sorted by availability then name, filterable, optionally grouped with counts, navigable by keyboard; windowed, so that ten thousand people keep a few dozen rows in the DOM.",
        feature: None,
        attributes: &[
            SOURCE,
            USERS,
            Attribute {
                name: "names",
                property: "names",
                kind: Kind::Names,
                description: "A JSON object of id to the name shown (else the service's display name, else the id).",
                default: "{}",
                feature: None,
            },
            Attribute {
                name: "group",
                property: "group",
                kind: Kind::Flag,
                description: "Rows grouped by status under headings.",
                default: "off",
                feature: None,
            },
            Attribute {
                name: "avatars",
                property: "avatars",
                kind: Kind::Flag,
                description: "Each row shows the person's initials on their colour, with the badge on its corner.",
                default: "off",
                feature: Some("avatar"),
            },
            Attribute {
                name: "no-filter",
                property: "noFilter",
                kind: Kind::Flag,
                description: "No filter box.",
                default: "off",
                feature: None,
            },
        ],
        events: &[CHANGE, ERROR],
        parts: &[
            BASE,
            DOT,
            LABEL,
            Part {
                name: "filter",
                description: "The filter box.",
            },
            Part {
                name: "scroller",
                description: "The scrolling area.",
            },
            Part {
                name: "row",
                description: "A person's row.",
            },
            Part {
                name: "group",
                description: "A group's heading.",
            },
            Part {
                name: "name",
                description: "A person's name.",
            },
            Part {
                name: "message",
                description: "A status message.",
            },
            Part {
                name: "status",
                description: "The line saying what the list shows (empty, nothing matches, errors).",
            },
        ],
    },
    Element {
        tag: "presence-summary",
        class: "PresenceSummaryElement",
        summary: "How many of the people are available, busy, away and offline; announced politely.",
        feature: None,
        attributes: &[SOURCE, USERS],
        events: &[CHANGE, ERROR],
        parts: &[
            BASE,
            Part {
                name: "item",
                description: "One count.",
            },
        ],
    },
    Element {
        tag: "presence-status-picker",
        class: "PresenceStatusPickerElement",
        summary: "The signed-in person's badge as a menu button that sets their status (the statuses the service takes, reset, a message); in `presence-widgets/live`.",
        feature: Some("write"),
        attributes: &[
            SOURCE,
            user("The signed-in person's id at that source."),
            SIZE,
        ],
        events: &[
            CHANGE,
            ERROR,
            Event {
                name: "presence-set",
                detail: "PresenceSetDetail",
                description: "The service took the write: `{ source, user, status, reset, message }`.",
            },
            Event {
                name: "presence-set-error",
                detail: "PresenceSetErrorDetail",
                description: "The write was refused (by the service, or before sending): `{ source, user, message, error }`.",
            },
        ],
        parts: &[
            BASE,
            DOT,
            Part {
                name: "picker",
                description: "The picker's root.",
            },
            Part {
                name: "button",
                description: "The menu button (the person's badge).",
            },
            Part {
                name: "menu",
                description: "The menu of statuses.",
            },
            Part {
                name: "dialog",
                description: "The status message dialog.",
            },
        ],
    },
    Element {
        tag: "presence-avatar",
        class: "PresenceAvatarElement",
        summary: "A person's picture, or their initials on a colour of their own, with their status badge on its corner; one image named by their name and status; in `presence-widgets/live`.",
        feature: Some("avatar"),
        attributes: &[
            SOURCE,
            user("The person's id at that source."),
            Attribute {
                name: "name",
                property: "name",
                kind: Kind::Text,
                description: "The name shown as initials and said with the status (else the service's display name, else the id).",
                default: "—",
                feature: None,
            },
            Attribute {
                name: "src",
                property: "src",
                kind: Kind::Text,
                description: "The person's picture (a URL); else Graph's own, from a source with `photos: true`; their initials when there is none or it fails to load.",
                default: "—",
                feature: None,
            },
            Attribute {
                name: "size",
                property: "size",
                kind: Kind::Size,
                description: "The badge's size in pixels, 10 to 32; the picture is twice as wide.",
                default: "16",
                feature: None,
            },
        ],
        events: &[CHANGE, ERROR],
        parts: &[
            BASE,
            Part {
                name: "picture",
                description: "The picture, or the initials (SVG).",
            },
            Part {
                name: "dot",
                description: "The status badge on the corner.",
            },
        ],
    },
];

/// The custom properties every element reads (on any ancestor or the element itself).
pub const CSS_PROPERTIES: &[CssProperty] = &[
    CssProperty {
        name: "--presence-available",
        description: "Available.",
        default: "#0e7a0d",
    },
    CssProperty {
        name: "--presence-busy",
        description: "Busy.",
        default: "#c4314b",
    },
    CssProperty {
        name: "--presence-do-not-disturb",
        description: "Do not disturb.",
        default: "#a4262c",
    },
    CssProperty {
        name: "--presence-be-right-back",
        description: "Be right back.",
        default: "#a35200",
    },
    CssProperty {
        name: "--presence-away",
        description: "Away.",
        default: "#a35200",
    },
    CssProperty {
        name: "--presence-offline",
        description: "Offline.",
        default: "#6e6e6e",
    },
    CssProperty {
        name: "--presence-unknown",
        description: "Status unknown.",
        default: "#6e6e6e",
    },
    CssProperty {
        name: "--presence-out-of-office",
        description: "Out of office.",
        default: "#9b1b8e",
    },
    CssProperty {
        name: "--presence-error",
        description: "Errors.",
        default: "#a4262c",
    },
    CssProperty {
        name: "--presence-loading",
        description: "The loading ring.",
        default: "#767676",
    },
    CssProperty {
        name: "--presence-glyph",
        description: "The mark inside a filled dot.",
        default: "#ffffff",
    },
    CssProperty {
        name: "--presence-text",
        description: "Text.",
        default: "#1f1f1f",
    },
    CssProperty {
        name: "--presence-text-muted",
        description: "Secondary text.",
        default: "#5c5c5c",
    },
    CssProperty {
        name: "--presence-accent",
        description: "The focus ring and the active row.",
        default: "#0f6cbd",
    },
    CssProperty {
        name: "--presence-surface",
        description: "A list's background.",
        default: "transparent",
    },
    CssProperty {
        name: "--presence-hover",
        description: "A row under the pointer.",
        default: "rgba(0, 0, 0, 0.05)",
    },
    CssProperty {
        name: "--presence-menu",
        description: "The picker's menu and dialog.",
        default: "#ffffff",
    },
    CssProperty {
        name: "--presence-avatar-ring",
        description: "The ring around an avatar's badge (the page's background).",
        default: "#ffffff",
    },
    CssProperty {
        name: "--presence-row-height",
        description: "A list row's height.",
        default: "2.5rem",
    },
    CssProperty {
        name: "--presence-list-height",
        description: "A list's greatest height.",
        default: "20rem",
    },
    CssProperty {
        name: "--presence-font",
        description: "The font.",
        default: "inherit",
    },
];
