//! `PresenceBadge`: one person's status icon, with an optional text label and a tooltip.

use yew::prelude::*;

use super::clock::local_time;
use super::icon::{icon, Look};
use super::style::use_stylesheet;
use crate::core::{Labels, State};
use crate::web::hooks::{use_clock, use_labels};
use crate::web::use_presence;

/// Props of [`PresenceBadge`].
#[derive(Properties, PartialEq)]
pub struct PresenceBadgeProps {
    /// The source's name, as configured.
    pub source: AttrValue,
    /// The person's id at that source.
    pub user: AttrValue,
    /// The icon's size in pixels, 10 to 32.
    #[prop_or(16)]
    pub size: u32,
    /// Shows the status as text beside the icon.
    #[prop_or_default]
    pub show_label: bool,
}

/// One person's presence, kept current by the source's store.
///
/// The icon has `role="img"` and an `aria-label` such as "Busy, in a meeting"; its tooltip adds
/// the status message, since when, and for a stale or failed state the reason and age.
///
/// ```no_run
/// use presence_widgets::web::{PresenceBadge, PresenceProvider};
/// use yew::prelude::*;
///
/// #[component]
/// fn Header() -> Html {
///     html! { <PresenceBadge source="teams" user="2e2f43c7-43c7-2e2f-c743-2f2ec7432f2e" show_label=true /> }
/// }
/// ```
#[component]
pub fn PresenceBadge(props: &PresenceBadgeProps) -> Html {
    let state = use_presence(&props.source, &props.user);
    let root = use_stylesheet();
    use_badge(&state, props.size, props.show_label, root)
}

/// Props of [`StateBadge`].
#[derive(Properties, PartialEq)]
pub struct StateBadgeProps {
    /// What to show.
    pub state: State,
    /// The icon's size in pixels, 10 to 32.
    #[prop_or(16)]
    pub size: u32,
    /// Shows the status as text beside the icon.
    #[prop_or_default]
    pub show_label: bool,
    /// A ref to the badge's root element.
    #[prop_or_default]
    pub root: NodeRef,
}

/// A badge for a state the caller already has (a list row, a page with its own data): the view
/// part of [`PresenceBadge`].
#[component]
pub fn StateBadge(props: &StateBadgeProps) -> Html {
    use_badge(
        &props.state,
        props.size,
        props.show_label,
        props.root.clone(),
    )
}

/// What a badge shows for a state: its variant class, tooltip, spoken label, text and icon. The
/// yew badge and the custom element's badge (`web::elements::badge`) both draw it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BadgeView {
    /// `presence-badge--loading`, `--error`, `--stale` or `--fresh`.
    pub variant: &'static str,
    /// The tooltip.
    pub tooltip: String,
    /// The icon's accessible label.
    pub spoken: String,
    /// The text beside the icon, when shown.
    pub text: Option<String>,
    /// The icon.
    pub look: Look,
}

impl BadgeView {
    /// The view of `state` at `now` in `labels`' words.
    pub(crate) fn of(state: &State, show_label: bool, labels: &Labels, now: u64) -> Self {
        let text = show_label.then(|| match state {
            State::Loading => labels.text("loading").into_owned(),
            State::Error(_) => labels.text("error").into_owned(),
            State::Fresh(p)
            | State::Failing { presence: p, .. }
            | State::Stale { presence: p, .. } => labels.label(p).into_owned(),
        });
        let variant = match state {
            State::Loading => "presence-badge--loading",
            State::Error(_) => "presence-badge--error",
            State::Stale { .. } => "presence-badge--stale",
            State::Fresh(_) | State::Failing { .. } => "presence-badge--fresh",
        };
        Self {
            variant,
            tooltip: labels.tooltip(state, now, |iso| local_time(iso, labels.language())),
            spoken: labels.describe_state(state, now),
            text,
            look: Look::of(state),
        }
    }

    /// The badge's class attribute.
    pub(crate) fn class(&self) -> String {
        format!("presence-badge {}", self.variant)
    }
}

/// Whether a badge showing `state` must be drawn again as time passes (a stale one says how old
/// it is).
pub(crate) fn ticks(state: &State) -> bool {
    matches!(state, State::Stale { .. })
}

/// The badge's view, shared by [`PresenceBadge`], [`StateBadge`] and the list's rows: a hook
/// rather than a component inside them, so the package holds one component less.
#[hook]
pub(crate) fn use_badge(state: &State, size: u32, show_label: bool, root: NodeRef) -> Html {
    let labels = use_labels();
    let now = use_clock(ticks(state));
    let view = BadgeView::of(state, show_label, &labels, now);
    let class = view.class();
    html! {
        <span ref={root} {class} part="base" title={view.tooltip}>
            { icon(view.look, size, &view.spoken) }
            if let Some(text) = view.text {
                <span class="presence-badge__label" part="label" aria-hidden="true">{ text }</span>
            }
        </span>
    }
}
