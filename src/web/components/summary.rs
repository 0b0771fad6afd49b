//! `PresenceSummary`: how many of a set of people are available, busy, away…

use implicit_clone::unsync::{IArray, IMap};
use yew::prelude::*;

use super::icon::{icon, Look};
use super::style::use_stylesheet;
use crate::core::Group;
use crate::web::hooks::{use_labels, use_roster};

/// Props of [`PresenceSummary`].
#[derive(Properties, PartialEq)]
pub struct PresenceSummaryProps {
    /// The source's name, as configured.
    pub source: AttrValue,
    /// The people's ids at that source.
    pub users: IArray<AttrValue>,
}

/// Counts per availability: "12 available, 3 busy, 1 away", each with its icon; groups nobody is
/// in are left out. Announced politely to screen readers as it changes.
///
/// ```no_run
/// use presence_widgets::web::PresenceSummary;
/// use yew::prelude::*;
///
/// #[component]
/// fn Team() -> Html {
///     let users: Vec<AttrValue> = vec!["id1".into(), "id2".into()];
///     html! { <PresenceSummary source="teams" users={users} /> }
/// }
/// ```
#[component]
pub fn PresenceSummary(props: &PresenceSummaryProps) -> Html {
    let root = use_stylesheet();
    let labels = use_labels();
    let names = IMap::default();
    let roster = use_roster(&props.source, &props.users, &names);
    let roster = roster.borrow();
    let items: Vec<(Group, usize)> = roster.counts().collect();
    let spoken: Vec<String> = items
        .iter()
        .map(|(g, n)| labels.fill(g.summary_key(), &[("n", &n.to_string())]))
        .collect();
    let aria = if spoken.is_empty() {
        labels.text("summaryEmpty").into_owned()
    } else {
        spoken.join(", ")
    };
    let empty = labels.text("summaryEmpty").into_owned();
    html! {
        <p ref={root} class="presence-summary" part="base" role="status" aria-live="polite"
           aria-label={aria}>
            if items.is_empty() {
                <span class="presence-summary__item" part="item">{ empty }</span>
            }
            { for items.iter().zip(spoken).map(|((group, _), text)| {
                let class = classes!("presence-summary__item", format!("presence-summary__item--{}", group.css()),
                    (*group == Group::Error).then_some("presence-summary__error"));
                html! {
                    <span {class} part="item" aria-hidden="true">
                        { icon(look(*group), 12, "") }
                        { text }
                    </span>
                }
            }) }
        </p>
    }
}

fn look(group: Group) -> Look {
    match group {
        Group::Availability(availability) => Look::Presence {
            availability,
            out_of_office: false,
            idle: false,
            stale: false,
        },
        Group::Loading => Look::Loading,
        Group::Error => Look::Error,
    }
}
