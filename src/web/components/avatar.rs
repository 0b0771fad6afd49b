//! `PresenceAvatar`: a person's picture, or their initials on a colour of their own, with their
//! status badge on its corner (feature `avatar`).

use yew::prelude::*;

use super::badge::{ticks, BadgeView};
use super::icon::icon;
use super::style::use_stylesheet;
use crate::core::avatar::{colour, initials};
use crate::core::{Labels, State};
use crate::web::hooks::{use_clock, use_labels, use_photo};
use crate::web::use_presence;

/// Props of [`PresenceAvatar`].
#[derive(Properties, PartialEq)]
pub struct PresenceAvatarProps {
    /// The source's name, as configured.
    pub source: AttrValue,
    /// The person's id at that source.
    pub user: AttrValue,
    /// The name shown as initials and said with the status; else the service's display name,
    /// else the id.
    #[prop_or_default]
    pub name: Option<AttrValue>,
    /// The person's picture; else the one the source reads (Graph with `photos`); else, or when
    /// it fails to load, their initials.
    #[prop_or_default]
    pub src: Option<AttrValue>,
    /// The badge's size in pixels, 10 to 32; the picture is twice as wide.
    #[prop_or(16)]
    pub size: u32,
}

/// One person's picture with their presence on its corner, kept current by the source's store.
///
/// The whole is one image for assistive technology, named by the person's name and their status
/// ("Amélie Silva, Busy, in a meeting"). Without `src`, it shows the picture the source reads
/// when it reads pictures (a Graph source with `photos`: `/users/{id}/photo/$value`, once per
/// person per page). Without either, or when the picture fails to load, it shows their initials
/// in white on a colour derived from their id (each colour has a contrast of at least 4.5:1).
///
/// ```no_run
/// use presence_widgets::web::PresenceAvatar;
/// use yew::prelude::*;
///
/// #[component]
/// fn Author() -> Html {
///     html! { <PresenceAvatar source="teams" user="2e2f43c7-43c7-2e2f-c743-2f2ec7432f2e" name="Amélie Silva" size=20 /> }
/// }
/// ```
#[component]
pub fn PresenceAvatar(props: &PresenceAvatarProps) -> Html {
    let state = use_presence(&props.source, &props.user);
    let given = props.src.clone().filter(|s| !s.is_empty());
    let photo = use_photo(&props.source, &props.user, given.is_none());
    let root = use_stylesheet();
    html! {
        <StateAvatar {state} user={props.user.clone()} name={props.name.clone()}
            src={given.or(photo)} size={props.size} {root} />
    }
}

/// Props of [`StateAvatar`].
#[derive(Properties, PartialEq)]
pub struct StateAvatarProps {
    /// What the badge shows.
    pub state: State,
    /// The person's id (their colour).
    pub user: AttrValue,
    /// Their name; else the service's display name, else the id.
    #[prop_or_default]
    pub name: Option<AttrValue>,
    /// Their picture.
    #[prop_or_default]
    pub src: Option<AttrValue>,
    /// The badge's size in pixels, 10 to 32; the picture is twice as wide.
    #[prop_or(16)]
    pub size: u32,
    /// A ref to the avatar's root element.
    #[prop_or_default]
    pub root: NodeRef,
}

/// An avatar for a state the caller already has (a list row): the view part of
/// [`PresenceAvatar`].
#[component]
pub fn StateAvatar(props: &StateAvatarProps) -> Html {
    let labels = use_labels();
    let now = use_clock(ticks(&props.state));
    let size = props.size.clamp(10, 32);
    let name = name_of(props.name.as_ref(), &props.state, &props.user);
    let view = BadgeView::of(&props.state, false, &labels, now);
    let spoken = spoken(&name, &view, &labels);
    html! {
        <span ref={props.root.clone()} class={classes!("presence-avatar", "presence-badge", view.variant)}
            part="base" role="img" aria-label={spoken} title={view.tooltip}>
            <AvatarPicture user={props.user.clone()} {name} {size} src={props.src.clone()} />
            <span class="presence-avatar__badge" part="dot">{ icon(view.look, size, "") }</span>
        </span>
    }
}

/// Props of [`AvatarPicture`].
#[derive(Properties, PartialEq)]
pub(crate) struct AvatarPictureProps {
    /// The person's id (their colour).
    pub user: AttrValue,
    /// Their name (their initials).
    pub name: AttrValue,
    /// The badge's size; the picture is twice as wide.
    pub size: u32,
    /// Their picture, if there is one.
    pub src: Option<AttrValue>,
}

/// A person's picture, or their initials when there is none or it fails to load: the avatar's
/// and a list row's.
#[component]
pub(crate) fn AvatarPicture(props: &AvatarPictureProps) -> Html {
    // A picture that failed is not asked for again until `src` changes.
    let failed = use_state(|| None::<AttrValue>);
    let size = props.size.clamp(10, 32);
    let side = (size * 2).to_string();
    match props.src.as_ref().filter(|s| !s.is_empty()) {
        Some(src) if failed.as_ref() != Some(src) => {
            let onerror = {
                let failed = failed.clone();
                let src = src.clone();
                Callback::from(move |_: Event| failed.set(Some(src.clone())))
            };
            html! {
                <img class="presence-avatar__picture" part="picture" src={src.clone()} alt=""
                    width={side.clone()} height={side} {onerror} />
            }
        }
        _ => initials_picture(&props.user, &props.name, size),
    }
}

/// The name an avatar shows: the page's (`name`), else the service's display name, else the id
/// (`user`).
pub(crate) fn name_of(name: Option<&AttrValue>, state: &State, user: &AttrValue) -> AttrValue {
    if let Some(name) = name.filter(|n| !n.trim().is_empty()) {
        return name.clone();
    }
    state
        .presence()
        .and_then(|p| p.display_name.clone())
        .filter(|n| !n.trim().is_empty())
        .map_or_else(|| user.clone(), AttrValue::from)
}

/// What an avatar says: the name, then what its badge says ("Amélie Silva, Busy, in a meeting").
pub(crate) fn spoken(name: &str, view: &BadgeView, labels: &Labels) -> String {
    format!("{name}{}{}", labels.text("and"), view.spoken)
}

/// `name`'s initials in white on `user`'s colour, twice the badge's `size` wide: an avatar
/// without a picture.
fn initials_picture(user: &str, name: &str, size: u32) -> Html {
    let size = size.clamp(10, 32);
    let side = (size * 2).to_string();
    // The letters are the stylesheet's `content` (from `data-initials`, sized by the class), not
    // text in the DOM: a list row's text stays exactly its accessible name (WCAG 2.5.3).
    html! {
        <span class={format!("presence-avatar__initials presence-avatar__initials--{size}")}
            part="picture" data-initials={initials(name)}>
            <svg width={side.clone()} height={side} viewBox="0 0 40 40" aria-hidden="true">
                <circle cx="20" cy="20" r="20" fill={colour(user)} />
            </svg>
        </span>
    }
}
