//! `<presence-avatar>` drawn straight into its shadow root, as the badge is (`badge.rs`): the DOM
//! of the yew [`StateAvatar`](crate::web::StateAvatar) (its name, words, initials and colour, and
//! the badge's icon shapes), without a yew app per element (feature `avatar`).
//!
//! Rust decides what the avatar shows; one call to a small JS function (`paint_avatar`) writes
//! what differs. The picture is the page's `src`, else the one the source reads (Graph's
//! `photos`), else the person's initials; a picture that fails to load is replaced by the
//! initials in JS, and not tried again until the picture changes.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use gloo_timers::callback::Interval;
use wasm_bindgen::prelude::wasm_bindgen;
use web_sys::Element;
use yew::AttrValue;

use super::badge::{icon, keep_ticking};
use crate::core::avatar::{colour, initials};
use crate::core::{Labels, State};
use crate::web::components::avatar::{name_of, spoken};
use crate::web::components::badge::BadgeView;
use crate::web::components::icon::Look;
use crate::web::transport::now_ms;

// `paint_avatar(host, base, …)` draws an avatar into its `div.presence-host` (`base`, its span,
// is null the first time) and returns its span. `icon` is the badge icon's description (as the
// badge's `paint` takes it; undefined: as drawn), built once per look and size and cloned, hidden
// from assistive technology (the avatar as a whole is named). The picture is `src` unless it
// failed before, else the initials `letters` on `colour`; it is made again only when it changes.
#[wasm_bindgen(inline_js = r#"
const SVG = "http://www.w3.org/2000/svg";
const icons = new Map();
function svg(tag, attributes) {
  const made = document.createElementNS(SVG, tag);
  for (let i = 0; i + 1 < attributes.length; i += 2) made.setAttribute(attributes[i], attributes[i + 1]);
  return made;
}
// The initials' frame for each colour and size, built once and cloned.
const frames = new Map();
function initials(letters, colour, size) {
  const key = colour + size;
  let frame = frames.get(key);
  if (!frame) {
    frame = document.createElement("span");
    frame.className = `presence-avatar__initials presence-avatar__initials--${size}`;
    frame.setAttribute("part", "picture");
    const side = String(size * 2);
    const circle = svg("svg", ["width", side, "height", side, "viewBox", "0 0 40 40", "aria-hidden", "true"]);
    circle.append(svg("circle", ["cx", "20", "cy", "20", "r", "20", "fill", colour]));
    frame.append(circle);
    frames.set(key, frame);
  }
  const span = frame.cloneNode(true);
  span.dataset.initials = letters;
  return span;
}
export function paint_avatar(host, base, classes, title, spoken, icon, size, src, letters, colour) {
  if (!base) {
    base = document.createElement("span");
    base.setAttribute("part", "base");
    base.setAttribute("role", "img");
    const dot = document.createElement("span");
    dot.className = "presence-avatar__badge";
    dot.setAttribute("part", "dot");
    base.append(dot);
    host.append(base);
  }
  base.setAttribute("class", classes);
  base.setAttribute("title", title);
  base.setAttribute("aria-label", spoken);
  // What a picture that fails gives way to: the initials as they are when it fails.
  base.initials = [letters, colour, size];
  const dot = base.lastElementChild;
  if (icon !== undefined) {
    const key = icon + size;
    let made = icons.get(key);
    if (!made) {
      const [head, ...shapes] = icon.split("|").map((part) => part.split(";"));
      made = svg(head[0], head.slice(1));
      made.removeAttribute("role");
      made.setAttribute("aria-hidden", "true");
      made.setAttribute("width", size);
      made.setAttribute("height", size);
      for (const [tag, ...attributes] of shapes) made.append(svg(tag, attributes));
      icons.set(key, made);
    }
    dot.replaceChildren(made.cloneNode(true));
  }
  const shown = src && src !== base.failed ? src : null;
  const key = `${shown ?? `${letters} ${colour}`} ${size}`;
  if (base.picture !== key) {
    base.picture = key;
    let picture;
    if (shown) {
      picture = document.createElement("img");
      picture.className = "presence-avatar__picture";
      picture.setAttribute("part", "picture");
      picture.alt = "";
      picture.width = picture.height = size * 2;
      picture.onerror = () => {
        // A picture replaced meanwhile says nothing of the one shown now.
        if (!picture.isConnected) return;
        const [letters, colour, size] = base.initials;
        base.failed = shown;
        base.picture = `${letters} ${colour} ${size}`;
        picture.replaceWith(initials(letters, colour, size));
      };
      picture.src = shown;
    } else {
      picture = initials(letters, colour, size);
    }
    if (dot.previousElementSibling) dot.previousElementSibling.replaceWith(picture);
    else base.prepend(picture);
  }
  return base;
}
"#)]
extern "C" {
    #[allow(
        clippy::too_many_arguments,
        reason = "one call writes everything that differs"
    )]
    fn paint_avatar(
        host: &Element,
        base: Option<&Element>,
        classes: &str,
        title: &str,
        spoken: &str,
        icon: Option<String>,
        size: u32,
        src: Option<&str>,
        letters: &str,
        colour: &str,
    ) -> Element;
}

/// One avatar's DOM and what it shows. Cheap to clone: clones share it.
#[derive(Clone)]
pub(crate) struct AvatarDom(Rc<RefCell<Inner>>);

pub(crate) struct Inner {
    /// Where it draws: the `div.presence-host` in the element's shadow root.
    host: Element,
    /// The `part="base"` span, once drawn.
    base: Option<Element>,
    /// The icon's look and size as drawn.
    drawn: Option<(Look, u32)>,
    state: State,
    person: Person,
    /// The picture the source read for them (Graph's `photos`), once read.
    photo: Option<Rc<str>>,
    /// Which ask for the picture is current (see [`AvatarDom::ask`]).
    asked: u32,
    /// Draws a stale avatar again as it ages.
    ticker: Option<Interval>,
}

/// Whom an avatar shows, as its attributes say, and in which words.
#[derive(Clone, PartialEq)]
pub(crate) struct Person {
    /// The person's id (their colour).
    pub(crate) user: AttrValue,
    /// The page's name for them.
    pub(crate) name: Option<AttrValue>,
    /// The page's picture of them.
    pub(crate) src: Option<AttrValue>,
    /// The badge's size.
    pub(crate) size: u32,
    /// The element's words.
    pub(crate) labels: Labels,
}

impl Person {
    /// The page's picture, when it gives one (then the source's is not asked for).
    pub(crate) fn given(&self) -> Option<&str> {
        self.src.as_deref().filter(|s| !s.is_empty())
    }
}

impl AvatarDom {
    /// An avatar drawing into `host`; it draws `state` at once.
    pub(crate) fn new(host: Element, person: Person) -> Self {
        Self(Rc::new(RefCell::new(Inner {
            host,
            base: None,
            drawn: None,
            state: State::Loading,
            person,
            photo: None,
            asked: 0,
            ticker: None,
        })))
    }

    /// A handle that does not keep the avatar alive.
    pub(crate) fn weak(&self) -> Weak<RefCell<Inner>> {
        Rc::downgrade(&self.0)
    }

    /// The avatar behind a [`weak`](Self::weak) handle, while it lives.
    pub(crate) fn upgrade(weak: &Weak<RefCell<Inner>>) -> Option<Self> {
        weak.upgrade().map(Self)
    }

    /// A new ask for the source's picture of them: an answer to an older one (another person,
    /// another store) is not shown.
    pub(crate) fn ask(&self) -> u32 {
        let mut a = self.0.borrow_mut();
        a.asked = a.asked.wrapping_add(1);
        a.asked
    }

    /// Shows the picture the source read for them, unless another ask came after `asked`.
    pub(crate) fn answer(&self, asked: u32, photo: Option<Rc<str>>) {
        if self.0.borrow().asked == asked {
            self.show_photo(photo);
        }
    }

    /// Whether the page gives their picture (then the source's is not asked for).
    pub(crate) fn has_own_picture(&self) -> bool {
        self.0.borrow().person.given().is_some()
    }

    /// Shows `state`.
    pub(crate) fn show(&self, state: State) {
        self.0.borrow_mut().state = state;
        self.draw();
    }

    /// Shows the picture the source read for them (`None`: none, their initials).
    fn show_photo(&self, photo: Option<Rc<str>>) {
        let changed = {
            let mut a = self.0.borrow_mut();
            let changed = a.photo != photo;
            a.photo = photo;
            changed
        };
        if changed {
            self.draw();
        }
    }

    /// Takes the element's attributes and words.
    pub(crate) fn set(&self, person: Person) {
        self.0.borrow_mut().person = person;
        self.draw();
    }

    /// Writes what differs from what the DOM shows.
    fn draw(&self) {
        let mut a = self.0.borrow_mut();
        let p = &a.person;
        let view = BadgeView::of(&a.state, false, &p.labels, now_ms());
        let size = p.size.clamp(10, 32);
        let name = name_of(p.name.as_ref(), &a.state, &p.user);
        let src = p.given().or(a.photo.as_deref());
        let new_icon = a.drawn != Some((view.look, size));
        let base = paint_avatar(
            &a.host,
            a.base.as_ref(),
            &format!("presence-avatar {}", view.class()),
            &view.tooltip,
            &spoken(&name, &view, &p.labels),
            new_icon.then(|| icon(view.look)),
            size,
            src,
            &initials(&name),
            colour(&p.user),
        );
        a.base = Some(base);
        a.drawn = Some((view.look, size));
        let weak = self.weak();
        let Inner { ticker, state, .. } = &mut *a;
        keep_ticking(ticker, state, move || {
            if let Some(avatar) = AvatarDom::upgrade(&weak) {
                avatar.draw();
            }
        });
    }
}
