//! Tabs of one origin share each source: one tab leads (it holds the socket and does the
//! polling for everybody), the others follow and show what it hears. This module is what the tabs
//! say to each other, sans-IO: [`Note`]s written as JSON for a `BroadcastChannel`, and the
//! leader's book of who watches what ([`Followers`]). Which tab leads is the browser's to decide
//! (the Web Locks API); the page's side is `web::tabs`.
//!
//! ```
//! use presence_widgets::core::tabs::{Followers, Note};
//! use presence_widgets::core::UserId;
//! let note = Note::Watch { tab: "t1".into(), visible: true, ids: vec![UserId::new("ada")] };
//! let text = note.encode();
//! assert_eq!(Note::decode(&text).unwrap(), note);
//!
//! let mut book = Followers::default();
//! let (added, removed) = book.watch("t1", true, vec![UserId::new("ada"), UserId::new("ada")]);
//! assert_eq!((added.len(), removed.len()), (1, 0));
//! assert_eq!(book.gone("t1"), vec![UserId::new("ada")]);
//! ```

use std::borrow::Cow;

use super::error::{PresenceError, Retry};
use super::json::{self, push_string, JsonError, Reader};
use super::model::{Activity, Availability, Presence, ProviderKind, UserId};

/// What one person's entry is at the leader: what a follower shows for them.
#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    /// Who.
    pub user: UserId,
    /// The last good presence, if any.
    pub presence: Option<Presence>,
    /// Why the last read failed, if it did.
    pub error: Option<PresenceError>,
    /// When the presence was last confirmed, in milliseconds since the Unix epoch.
    pub confirmed_ms: Option<u64>,
}

/// One message between the tabs of a source.
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// A follower's whole watch set (empty when it shows nobody), and whether its page is shown.
    Watch {
        /// The follower's tab id.
        tab: String,
        /// Whether the follower's page is visible: the leader polls while any tab is.
        visible: bool,
        /// Everyone its widgets show.
        ids: Vec<UserId>,
    },
    /// A tab has just become the leader: every follower says what it watches again.
    Lead,
    /// A follower asks for a poll now (its page was shown again, or its code asked).
    Poll,
    /// How the leader learns of changes: pushed, or polled and why.
    Mode {
        /// Whether the service pushes.
        push: bool,
        /// Why it is polled.
        reason: Option<String>,
    },
    /// What the leader knows of these people now.
    States(Vec<Shared>),
}

/// Fields of one person in a `states` note, in order (see [`Note::encode`]).
const FIELDS: usize = 20;

impl Note {
    /// The note as JSON, for `postMessage`: one flat array of strings and nulls, its kind first
    /// (`["watch", tab, visible, id…]`, `["lead"]`, `["poll"]`, `["mode", push, reason]`,
    /// `["states", 20 fields a person…]`). Flat, so that one loop reads every note.
    pub fn encode(&self) -> String {
        let yes = |b: bool| b.then_some("1");
        let mut text = String::from("[");
        let mut put = |v: Option<&str>| {
            if text.len() > 1 {
                text.push(',');
            }
            match v {
                Some(v) => push_string(&mut text, v),
                None => text.push_str("null"),
            }
        };
        match self {
            Note::Watch { tab, visible, ids } => {
                put(Some("watch"));
                put(Some(tab));
                put(yes(*visible));
                for id in ids {
                    put(Some(id.as_str()));
                }
            }
            Note::Lead => put(Some("lead")),
            Note::Poll => put(Some("poll")),
            Note::Mode { push, reason } => {
                put(Some("mode"));
                put(yes(*push));
                put(reason.as_deref());
            }
            Note::States(states) => {
                put(Some("states"));
                for s in states {
                    let p = s.presence.as_ref();
                    let provider = p
                        .map(|p| p.provider)
                        .or_else(|| s.error.as_ref().and_then(PresenceError::provider));
                    put(Some(s.user.as_str()));
                    put(provider.map(ProviderKind::name));
                    put(p.map(|p| p.availability.name()));
                    put(p.and_then(|p| p.activity.as_ref()).map(Activity::name));
                    put(p.map(|p| p.label.as_ref()));
                    put(p.and_then(|p| p.message.as_deref()));
                    put(yes(p.is_some_and(|p| p.out_of_office)));
                    put(yes(p.is_some_and(|p| p.idle)));
                    put(p.and_then(|p| p.since.as_deref()));
                    put(p.and_then(|p| p.sequence.as_deref()));
                    put(p.map(|p| p.raw.as_str()));
                    put(p.and_then(|p| p.display_name.as_deref()));
                    let (mut kind, mut status, mut code, mut message, mut path, mut retry) =
                        (None, None, None, None, None, None);
                    match &s.error {
                        Some(PresenceError::Http {
                            status: st,
                            code: c,
                            message: m,
                            retry: r,
                            ..
                        }) => {
                            kind = Some("http");
                            status = Some(st.to_string());
                            code = c.as_deref();
                            message = m.as_deref();
                            retry = *r;
                        }
                        Some(PresenceError::Network { message: m, .. }) => {
                            kind = Some("network");
                            message = Some(m);
                        }
                        Some(PresenceError::Decode {
                            path: pa,
                            message: m,
                            ..
                        }) => {
                            kind = Some("decode");
                            path = Some(pa.as_str());
                            message = Some(m);
                        }
                        Some(PresenceError::Config(m)) => {
                            kind = Some("config");
                            message = Some(m);
                        }
                        None => {}
                    }
                    put(kind);
                    put(status.as_deref());
                    put(code);
                    put(message);
                    put(path);
                    put(retry.map(|r| match r {
                        Retry::After(_) => "after",
                        Retry::At(_) => "at",
                    }));
                    let ms = retry.map(|(Retry::After(ms) | Retry::At(ms))| ms.to_string());
                    put(ms.as_deref());
                    let confirmed = s.confirmed_ms.map(|ms| ms.to_string());
                    put(confirmed.as_deref());
                }
            }
        }
        text.push(']');
        text
    }

    /// Reads a note another tab wrote.
    ///
    /// # Errors
    /// When the text is not a note (another version of the library, or not ours): it is dropped.
    pub fn decode(text: &str) -> Result<Note, JsonError> {
        let items = json::decode(text, |r| r.items(Reader::opt_owned))?;
        let not_ours = || JsonError {
            path: ".".into(),
            message: "expected a note of the tabs of a source".into(),
            syntax: false,
        };
        let mut items = items.into_iter();
        let kind = items.next().flatten().ok_or_else(not_ours)?;
        let mut next = || items.next().flatten();
        Ok(match kind.as_str() {
            "watch" => {
                let tab = next().ok_or_else(not_ours)?;
                let visible = next().is_some();
                let ids = std::iter::from_fn(|| items.next())
                    .map(|id| id.map(UserId::new).ok_or_else(not_ours))
                    .collect::<Result<_, _>>()?;
                Note::Watch { tab, visible, ids }
            }
            "lead" => Note::Lead,
            "poll" => Note::Poll,
            "mode" => Note::Mode {
                push: next().is_some(),
                reason: next(),
            },
            "states" => {
                let rest: Vec<Option<String>> = items.collect();
                if !rest.len().is_multiple_of(FIELDS) {
                    return Err(not_ours());
                }
                rest.chunks(FIELDS)
                    .map(|f| read_shared(f).ok_or_else(not_ours))
                    .collect::<Result<_, _>>()
                    .map(Note::States)?
            }
            _ => return Err(not_ours()),
        })
    }
}

/// One person of a `states` note, from its [`FIELDS`] fields.
fn read_shared(f: &[Option<String>]) -> Option<Shared> {
    let at = |i: usize| f.get(i).cloned().flatten();
    let flag = |i: usize| at(i).is_some();
    let provider = at(1).and_then(|name| ProviderKind::from_name(&name));
    let presence = match at(2) {
        None => None,
        Some(availability) => Some(Presence {
            user: UserId::new(at(0)?),
            provider: provider?,
            availability: Availability::from_name(&availability)?,
            activity: at(3).map(|a| Activity::from_name(&a)),
            label: Cow::Owned(at(4).unwrap_or_default()),
            message: at(5),
            out_of_office: flag(6),
            idle: flag(7),
            since: at(8),
            sequence: at(9),
            raw: at(10).unwrap_or_default(),
            display_name: at(11),
        }),
    };
    let message = at(15).unwrap_or_default();
    let error = match at(12).as_deref() {
        None => None,
        Some("config") => Some(PresenceError::Config(message)),
        Some(kind) => {
            let provider = provider?;
            Some(match kind {
                "http" => PresenceError::Http {
                    provider,
                    status: at(13)?.parse().ok()?,
                    code: at(14),
                    message: at(15),
                    retry: match (at(17).as_deref(), at(18).and_then(|ms| ms.parse().ok())) {
                        (Some("at"), Some(ms)) => Some(Retry::At(ms)),
                        (Some(_), Some(ms)) => Some(Retry::After(ms)),
                        _ => None,
                    },
                },
                "network" => PresenceError::Network { provider, message },
                _ => PresenceError::Decode {
                    provider,
                    path: at(16).unwrap_or_default(),
                    message,
                },
            })
        }
    };
    Some(Shared {
        user: UserId::new(at(0)?),
        presence,
        error,
        confirmed_ms: at(19).and_then(|ms| ms.parse().ok()),
    })
}

/// The leader's book of the follower tabs: who watches whom, and whether any is shown. Each tab
/// counts once for each id it watches, however many of its widgets show it.
#[derive(Clone, Debug, Default)]
pub struct Followers {
    tabs: Vec<(String, bool, Vec<UserId>)>,
}

impl Followers {
    /// A follower's whole watch set. Returns the ids the leader must subscribe (this tab is the
    /// first to want them from it) and unsubscribe (this tab no longer wants them).
    pub fn watch(
        &mut self,
        tab: &str,
        visible: bool,
        mut ids: Vec<UserId>,
    ) -> (Vec<UserId>, Vec<UserId>) {
        ids.sort_unstable();
        ids.dedup();
        let old = match self.tabs.iter_mut().find(|(t, _, _)| t == tab) {
            Some((_, shown, old)) => {
                *shown = visible;
                std::mem::replace(old, ids.clone())
            }
            None => {
                self.tabs.push((tab.to_owned(), visible, ids.clone()));
                Vec::new()
            }
        };
        let added = ids
            .iter()
            .filter(|id| old.binary_search(id).is_err())
            .cloned()
            .collect();
        let removed = old
            .into_iter()
            .filter(|id| ids.binary_search(id).is_err())
            .collect();
        (added, removed)
    }

    /// A follower is gone (its tab closed): the ids the leader must unsubscribe.
    pub fn gone(&mut self, tab: &str) -> Vec<UserId> {
        match self.tabs.iter().position(|(t, _, _)| t == tab) {
            Some(i) => self.tabs.swap_remove(i).2,
            None => Vec::new(),
        }
    }

    /// Whether some follower's page is shown with someone on it.
    pub fn any_visible(&self) -> bool {
        self.tabs
            .iter()
            .any(|(_, visible, ids)| *visible && !ids.is_empty())
    }

    /// Whether any follower watches anybody.
    pub fn is_empty(&self) -> bool {
        self.tabs.iter().all(|(_, _, ids)| ids.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> Vec<UserId> {
        names.iter().map(|n| UserId::new(*n)).collect()
    }

    #[test]
    fn every_note_reads_back_as_written() {
        let mut busy = Presence::new(
            UserId::new("ada"),
            ProviderKind::Genesys,
            Availability::Busy,
        );
        busy.activity = Some(Activity::InAMeeting);
        busy.label = Cow::Owned("En réunion \"<b>\"".into());
        busy.message = Some("back at 3\n".into());
        busy.display_name = Some("Ada".into());
        busy.since = Some("2026-12-01T10:00:00Z".into());
        busy.raw = "MEETING".into();
        let mut odd = Presence::new(UserId::new("bo"), ProviderKind::Graph, Availability::Away);
        odd.activity = Some(Activity::Other("Knitting".into()));
        odd.out_of_office = true;
        odd.idle = true;
        odd.sequence = Some("42".into());
        let errors = [
            PresenceError::Http {
                provider: ProviderKind::Graph,
                status: 429,
                code: Some("TooManyRequests".into()),
                message: None,
                retry: Some(Retry::After(2_128)),
            },
            PresenceError::Http {
                provider: ProviderKind::RocketChat,
                status: 503,
                code: None,
                message: Some("down".into()),
                retry: Some(Retry::At(1_800_000_000_000)),
            },
            PresenceError::Network {
                provider: ProviderKind::SuperOffice,
                message: "offline".into(),
            },
            PresenceError::Decode {
                provider: ProviderKind::Genesys,
                path: "entities[3].id".into(),
                message: "expected a string".into(),
            },
            PresenceError::Config("no token".into()),
        ];
        let mut notes = vec![
            Note::Watch {
                tab: "tab-1".into(),
                visible: false,
                ids: ids(&["a/b", "ü"]),
            },
            Note::Lead,
            Note::Poll,
            Note::Mode {
                push: false,
                reason: Some("rocketchat: the socket closed".into()),
            },
            Note::Mode {
                push: true,
                reason: None,
            },
            Note::States(vec![
                Shared {
                    user: UserId::new("ada"),
                    presence: Some(busy),
                    error: None,
                    confirmed_ms: Some(1_764_584_000_000),
                },
                Shared {
                    user: UserId::new("bo"),
                    presence: Some(odd),
                    error: Some(errors[0].clone()),
                    confirmed_ms: Some(1),
                },
                Shared {
                    user: UserId::new("cy"),
                    presence: None,
                    error: None,
                    confirmed_ms: None,
                },
            ]),
        ];
        for error in errors {
            notes.push(Note::States(vec![Shared {
                user: UserId::new("x"),
                presence: None,
                error: Some(error),
                confirmed_ms: None,
            }]));
        }
        for note in notes {
            assert_eq!(Note::decode(&note.encode()), Ok(note));
        }
    }

    #[test]
    fn a_note_not_ours_is_an_error_not_a_panic() {
        for text in [
            "",
            "null",
            "[]",
            "{}",
            r#"{"t":"lead"}"#,
            r#"["shout"]"#,
            r#"[null]"#,
            r#"[1]"#,
            r#"["watch"]"#,
            r#"["watch","t1",null,null]"#,
            r#"["states","a"]"#,
            r#"["states","a","graph","Sleepy",null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null]"#,
            r#"["states","a","teams","Busy",null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null]"#,
            r#"["states","a","graph",null,null,null,null,null,null,null,null,null,null,"http","70000",null,null,null,null,null,null]"#,
            r#"["lead""#,
        ] {
            assert!(Note::decode(text).is_err(), "{text}");
        }
    }

    #[test]
    fn the_book_counts_each_tab_once_per_id() {
        let mut book = Followers::default();
        assert!(book.is_empty());
        assert_eq!(
            book.watch("t1", false, ids(&["b", "a", "a"])),
            (ids(&["a", "b"]), vec![])
        );
        assert!(!book.any_visible());
        assert_eq!(
            book.watch("t2", true, ids(&["a"])),
            (ids(&["a"]), vec![]),
            "another tab counts again"
        );
        assert!(book.any_visible());
        assert_eq!(
            book.watch("t1", false, ids(&["c", "a"])),
            (ids(&["c"]), ids(&["b"]))
        );
        assert_eq!(book.watch("t2", true, vec![]), (vec![], ids(&["a"])));
        assert!(!book.any_visible(), "a shown tab that shows nobody");
        assert_eq!(book.gone("t1"), ids(&["a", "c"]));
        assert_eq!(book.gone("t1"), vec![], "gone twice costs nothing");
        assert!(book.is_empty());
    }
}
