//! `PresenceList`: people with badge, name, label and message, sorted by availability then name,
//! optionally grouped with counts, filtered by a search box, navigable by keyboard, and windowed
//! so that ten thousand people keep a few dozen rows in the DOM.

use std::cell::Cell;
use std::rc::Rc;

use implicit_clone::unsync::{IArray, IMap};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement};
use yew::prelude::*;

use super::badge::use_badge;
use super::style::use_stylesheet;
use crate::core::roster::window;
use crate::core::{Group, Labels, Roster, Row, State, UserId};
use crate::web::hooks::{use_labels, use_roster};

/// Rows rendered beyond each edge of the visible ones, so that scrolling shows no gap.
pub const OVERSCAN: usize = 8;

/// Props of [`PresenceList`].
#[derive(Properties, PartialEq)]
pub struct PresenceListProps {
    /// The source's name, as configured.
    pub source: AttrValue,
    /// The people's ids at that source; an id given twice is shown once.
    pub users: IArray<AttrValue>,
    /// Names the page knows, by id; otherwise the provider's name, else the id, is shown.
    #[prop_or_default]
    pub names: IMap<AttrValue, AttrValue>,
    /// Groups people by availability under headings with counts.
    #[prop_or_default]
    pub group: bool,
    /// Hides the filter box.
    #[prop_or_default]
    pub no_filter: bool,
    /// Each row shows the person's initials on their colour, with the badge on its corner
    /// (feature `avatar`).
    #[cfg(feature = "avatar")]
    #[prop_or_default]
    pub avatars: bool,
    /// Called with a person's id when their row is clicked or Enter is pressed on it.
    #[prop_or_default]
    pub on_activate: Callback<UserId>,
}

thread_local! {
    static LISTS: Cell<u32> = const { Cell::new(0) };
}

#[derive(Clone, Copy, PartialEq)]
struct Metrics {
    row: u32,
    viewport: u32,
}

/// A list of people and their presence.
///
/// Keyboard: the list takes focus as one stop; ↑ ↓ Home End PageUp PageDown move between people,
/// Enter or Space activates one. Typing in the filter box keeps those whose name or id contains
/// the text.
///
/// ```no_run
/// use presence_widgets::web::PresenceList;
/// use yew::prelude::*;
///
/// #[component]
/// fn Team() -> Html {
///     let users: Vec<AttrValue> = vec!["id1".into(), "id2".into()];
///     html! { <PresenceList source="teams" users={users} group=true /> }
/// }
/// ```
#[component]
pub fn PresenceList(props: &PresenceListProps) -> Html {
    let root = use_stylesheet();
    let labels = use_labels();
    let roster = use_roster(&props.source, &props.users, &props.names);
    let query = use_state(String::new);
    let scroller = use_node_ref();
    let metrics = use_state(|| Metrics {
        row: 40,
        viewport: 320,
    });
    let first = use_state(|| 0_usize);
    let active = use_state(|| None::<UserId>);
    let list_id = use_memo((), |_| {
        let n = LISTS.with(|c| {
            c.set(c.get().wrapping_add(1));
            c.get()
        });
        format!("presence-list-{n}")
    });

    let people = roster.borrow();
    let rows = Rc::new(people.rows(props.group, &query));

    // Measure the viewport and a row once there are rows (reading sizes forces a layout, so not
    // on every render); a difference re-renders the window.
    {
        let scroller = scroller.clone();
        let metrics = metrics.clone();
        use_effect_with(rows.is_empty(), move |_| {
            if let Some(measured) = measure(&scroller, *metrics) {
                metrics.set(measured);
            }
        });
    }
    let m = *metrics;
    let scroll_top = u32::try_from(*first)
        .unwrap_or(u32::MAX)
        .saturating_mul(m.row);
    let shown = window(rows.len(), m.row, scroll_top, m.viewport, OVERSCAN);
    let active_id = (*active).clone();

    let onscroll = {
        let first = first.clone();
        let scroller = scroller.clone();
        let metrics = metrics.clone();
        Callback::from(move |_: Event| {
            // The viewport may have been resized since it was measured.
            if let Some(measured) = measure(&scroller, *metrics) {
                metrics.set(measured);
            }
            if let Some(element) = scroller.cast::<Element>() {
                let top = u32::try_from(element.scroll_top()).unwrap_or(0);
                let index = usize::try_from(top / m.row.max(1)).unwrap_or(0);
                if index != *first {
                    first.set(index);
                }
            }
        })
    };
    let oninput = {
        let query = query.clone();
        let first = first.clone();
        let scroller = scroller.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            query.set(input.value());
            first.set(0);
            if let Some(element) = scroller.cast::<Element>() {
                element.set_scroll_top(0);
            }
        })
    };
    let ids = person_rows(&rows);
    let active_index = active_id.as_ref().and_then(|a| {
        ids.iter()
            .position(|(_, i)| people.person(*i).map(|p| &p.id) == Some(a))
    });
    let onkeydown = {
        let ids = ids.clone();
        let roster = roster.clone();
        let rows = rows.clone();
        let active = active.clone();
        let scroller = scroller.clone();
        let on_activate = props.on_activate.clone();
        Callback::from(move |e: KeyboardEvent| {
            let current = active_index;
            let page = usize::try_from(m.viewport / m.row.max(1))
                .unwrap_or(1)
                .max(1);
            let last = ids.len().saturating_sub(1);
            let target = match e.key().as_str() {
                "ArrowDown" => current.map_or(0, |c| (c + 1).min(last)),
                "ArrowUp" => current.map_or(0, |c| c.saturating_sub(1)),
                "Home" => 0,
                "End" => last,
                "PageDown" => current.map_or(0, |c| (c + page).min(last)),
                "PageUp" => current.map_or(0, |c| c.saturating_sub(page)),
                "Enter" | " " => {
                    if let Some(id) = active.as_ref() {
                        e.prevent_default();
                        on_activate.emit(id.clone());
                    }
                    return;
                }
                _ => return,
            };
            e.prevent_default();
            let Some((row, index)) = ids.get(target) else {
                return;
            };
            let Some(id) = roster.borrow().person(*index).map(|p| p.id.clone()) else {
                return;
            };
            active.set(Some(id));
            if let Some(element) = scroller.cast::<Element>() {
                reveal(&element, *row, rows.len(), m);
            }
        })
    };
    let onclick = {
        let active = active.clone();
        let on_activate = props.on_activate.clone();
        let roster = roster.clone();
        Callback::from(move |e: MouseEvent| {
            let index = e
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|t| t.closest("[data-index]").ok().flatten())
                .and_then(|row| row.get_attribute("data-index"))
                .and_then(|i| i.parse::<usize>().ok());
            let id = index.and_then(|i| roster.borrow().person(i).map(|p| p.id.clone()));
            if let Some(id) = id {
                active.set(Some(id.clone()));
                on_activate.emit(id);
            }
        })
    };

    let status = status(&people, rows.is_empty(), &query, &labels);
    let setsize = ids.len().to_string();
    // With `avatars`, each row is given the source (for the picture it reads) and its
    // person's id (for their colour).
    #[cfg(feature = "avatar")]
    let avatar_of = |id: &UserId| {
        props.avatars.then(|| RowAvatar {
            source: props.source.clone(),
            user: AttrValue::from(id.as_str().to_owned()),
        })
    };
    #[cfg(not(feature = "avatar"))]
    let avatar_of = |_: &UserId| -> Option<AttrValue> { None };
    let mut position = rows.get(..shown.start).map_or(0, |before| {
        before
            .iter()
            .filter(|r| matches!(r, Row::Person(_)))
            .count()
    });
    let rendered: Html = rows
        .get(shown.clone())
        .unwrap_or_default()
        .iter()
        .map(|row| match row {
            Row::Header(group, count) => header(*group, *count, &labels),
            Row::Person(i) => {
                position += 1;
                let Some(person) = people.person(*i) else {
                    return html! {};
                };
                html! {
                    <ListRow key={person.id.as_str()} index={*i} dom_id={format!("{list_id}-{i}")}
                        name={AttrValue::from(person.name().to_owned())} state={person.state.clone()}
                        active={active_id.as_ref() == Some(&person.id)}
                        position={position} setsize={setsize.clone()}
                        avatar={avatar_of(&person.id)} />
                }
            }
        })
        .collect();
    let active_dom = active_id.as_ref().and_then(|a| {
        rows.get(shown.clone())?.iter().find_map(|row| match row {
            Row::Person(i) if people.person(*i).map(|p| &p.id) == Some(a) => {
                Some(format!("{list_id}-{i}"))
            }
            _ => None,
        })
    });
    let above = u32::try_from(shown.start)
        .unwrap_or(0)
        .saturating_mul(m.row);
    let below = u32::try_from(rows.len().saturating_sub(shown.end))
        .unwrap_or(0)
        .saturating_mul(m.row);
    let filter_label = labels.text("filter").into_owned();
    html! {
        <div ref={root} class="presence-list" part="base">
            if !props.no_filter {
                <input type="search" class="presence-list__filter" part="filter"
                    aria-label={filter_label.clone()} placeholder={filter_label}
                    aria-controls={(*list_id).clone()} value={(*query).clone()} {oninput} />
            }
            <div ref={scroller} id={(*list_id).clone()} class="presence-list__scroller" part="scroller"
                 role="listbox" tabindex="0" aria-label={labels.text("people").into_owned()}
                 aria-activedescendant={active_dom} {onscroll} {onkeydown} {onclick}>
                <svg class="presence-list__spacer" aria-hidden="true" width="1" height={above.to_string()} />
                { rendered }
                <svg class="presence-list__spacer" aria-hidden="true" width="1" height={below.to_string()} />
            </div>
            { status }
        </div>
    }
}

/// The viewport's and a row's height, when they differ from `current`.
fn measure(scroller: &NodeRef, current: Metrics) -> Option<Metrics> {
    let element = scroller.cast::<Element>()?;
    let viewport = u32::try_from(element.client_height()).unwrap_or(0);
    let row = element
        .query_selector(".presence-row")
        .ok()
        .flatten()
        .and_then(|r| r.dyn_into::<HtmlElement>().ok())
        .and_then(|r| u32::try_from(r.offset_height()).ok())
        .unwrap_or(0);
    let measured = Metrics {
        row: if row > 0 { row } else { current.row },
        viewport: if viewport > 0 {
            viewport
        } else {
            current.viewport
        },
    };
    (measured != current).then_some(measured)
}

/// The people rows in order: (row index, roster index).
fn person_rows(rows: &[Row]) -> Rc<Vec<(usize, usize)>> {
    Rc::new(
        rows.iter()
            .enumerate()
            .filter_map(|(at, row)| match row {
                Row::Person(i) => Some((at, *i)),
                Row::Header(..) => None,
            })
            .collect(),
    )
}

/// Scrolls so that row `at` is in view.
fn reveal(scroller: &Element, at: usize, total: usize, m: Metrics) {
    let top = u32::try_from(at.min(total))
        .unwrap_or(0)
        .saturating_mul(m.row);
    let scroll = u32::try_from(scroller.scroll_top()).unwrap_or(0);
    let target = if top < scroll {
        Some(top)
    } else if top.saturating_add(m.row) > scroll.saturating_add(m.viewport) {
        Some(top.saturating_add(m.row).saturating_sub(m.viewport))
    } else {
        None
    };
    if let Some(t) = target.and_then(|t| i32::try_from(t).ok()) {
        scroller.set_scroll_top(t);
    }
}

fn header(group: Group, count: usize, labels: &Labels) -> Html {
    html! {
        <div key={format!("#{}", group.css())} class={classes!("presence-row", "presence-row--header", format!("presence-row--{}", group.css()))}
             role="presentation" part="group">
            { labels.text(group.label_key()) }
            { "\u{a0}" }
            <span class="presence-row__count">{ format!("({count})") }</span>
        </div>
    }
}

/// The line under the rows: nobody, no match, loading, or why nothing could be read.
fn status(roster: &Roster, no_rows: bool, query: &str, labels: &Labels) -> Html {
    let line = |text: String, error: bool| {
        let class = classes!(
            "presence-list__status",
            error.then_some("presence-list__status--error")
        );
        let role = if error { "alert" } else { "status" };
        html! { <p {class} part="status" {role}>{ text }</p> }
    };
    if roster.is_empty() {
        return line(labels.text("empty").into_owned(), false);
    }
    if no_rows {
        return line(labels.fill("noMatch", &[("query", query.trim())]), false);
    }
    if roster.count(Group::Error) == roster.len() {
        let reason = (0..roster.len())
            .find_map(|i| roster.person(i)?.state.error().map(ToString::to_string))
            .unwrap_or_default();
        return line(labels.fill("errorReason", &[("reason", &reason)]), true);
    }
    if roster.count(Group::Loading) == roster.len() {
        return line(
            labels.fill("listLoading", &[("n", &roster.len().to_string())]),
            false,
        );
    }
    html! {}
}

#[derive(Properties, PartialEq)]
struct ListRowProps {
    index: usize,
    dom_id: AttrValue,
    name: AttrValue,
    state: State,
    active: bool,
    position: usize,
    setsize: AttrValue,
    /// With `avatars`: the row shows their picture, or their initials on their colour.
    avatar: Option<RowAvatar>,
}

/// Whose avatar a row shows, and from which source.
#[cfg(feature = "avatar")]
#[derive(Clone, PartialEq)]
struct RowAvatar {
    source: AttrValue,
    user: AttrValue,
}

/// Without the feature, rows show no avatar.
#[cfg(not(feature = "avatar"))]
type RowAvatar = AttrValue;

/// One person's row; re-renders only when that person (or whether the row is active) changes.
/// Its accessible name is exactly what it shows (the name, the label and the message, WCAG
/// 2.5.3); what the badge says beyond that (idle, out of office, not updated for 3 min) is its
/// description.
#[component]
fn ListRow(props: &ListRowProps) -> Html {
    let labels = use_labels();
    let badge = use_badge(&props.state, 16, false, NodeRef::default());
    #[cfg(feature = "avatar")]
    let photo = {
        let avatar = props.avatar.as_ref();
        crate::web::hooks::use_photo(
            avatar.map_or("", |a| a.source.as_str()),
            avatar.map_or("", |a| a.user.as_str()),
            avatar.is_some(),
        )
    };
    #[cfg(not(feature = "avatar"))]
    let photo = None;
    let (label, message) = match props.state.presence() {
        Some(p) => (labels.label(p).into_owned(), p.message.clone()),
        None => (labels.describe_state(&props.state, 0), None),
    };
    let id = &props.dom_id;
    let (name_id, detail_id, state_id) = (
        format!("{id}-name"),
        format!("{id}-detail"),
        format!("{id}-state"),
    );
    let labelled_by = format!("{name_id} {detail_id}");
    let class = classes!(
        "presence-row",
        props.active.then_some("presence-row--active"),
        matches!(props.state, State::Stale { .. }).then_some("presence-row--stale"),
    );
    html! {
        <div {class} id={props.dom_id.clone()} role="option" part="row"
             aria-selected={props.active.to_string()} aria-labelledby={labelled_by}
             aria-describedby={state_id.clone()}
             aria-posinset={props.position.to_string()} aria-setsize={props.setsize.clone()}
             data-index={props.index.to_string()}>
            // Out of the row's own text (its name is what it shows), read as its description.
            <span id={state_id} class="presence-row__state" aria-hidden="true">{ picture(props, badge, photo) }</span>
            // The spaces between the parts are text, so that the row's text reads as words
            // ("Ann Available In a call"), as its name does; the layout ignores them.
            <span class="presence-row__text">
                <span id={name_id} class="presence-row__name" part="name">{ props.name.clone() }</span>
                { " " }
                <span id={detail_id} class="presence-row__detail">
                    <span class="presence-row__label" part="label">{ label }</span>
                    if let Some(m) = message {
                        { " " }
                        <span class="presence-row__message" part="message">{ m }</span>
                    }
                </span>
            </span>
        </div>
    }
}

/// What stands for the person in a row: the badge, or with `avatars` their picture (`photo`) or
/// initials with the badge on the corner (the badge still says the status, as the row's
/// description).
#[cfg(feature = "avatar")]
fn picture(props: &ListRowProps, badge: Html, photo: Option<AttrValue>) -> Html {
    use super::avatar::AvatarPicture;
    match &props.avatar {
        Some(avatar) => html! {
            <span class="presence-avatar">
                <AvatarPicture user={avatar.user.clone()} name={props.name.clone()} size={16}
                    src={photo} />
                <span class="presence-avatar__badge" part="dot">{ badge }</span>
            </span>
        },
        None => badge,
    }
}

/// What stands for the person in a row: the badge.
#[cfg(not(feature = "avatar"))]
fn picture(_props: &ListRowProps, badge: Html, _photo: Option<()>) -> Html {
    badge
}
