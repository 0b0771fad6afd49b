//! `PresenceStatusPicker`: the person's own badge as a menu button that sets their status
//! (feature `write`).
//!
//! The ARIA menu-button pattern: the button opens a `role="menu"` of the statuses the service
//! takes (`menuitemradio`, the current one checked), "reset" and "status message…"; Enter,
//! Space and the arrows open it, the arrows, Home and End move in it, Escape and Tab close it,
//! and focus goes back to the button. The message and its expiry are set in a dialog of their
//! own (a text field inside a menu is not valid ARIA).
//!
//! A pick shows at once on every widget of that person on the page, holds until the service
//! answers, and rolls back with the service's reason if it refuses. The picker fires
//! `presence-set` (done) and `presence-set-error` (refused), bubbling and composed, unless it
//! has left the page meanwhile (the write itself still ends as it should).

use wasm_bindgen::JsCast;
use web_sys::{HtmlDialogElement, HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::badge::use_badge;
use super::style::use_stylesheet;
use crate::core::json::Object;
use crate::core::{Choice, Labels, PresenceError, StatusWrite, UserId};
use crate::web::hooks::use_page;
use crate::web::transport::now_ms;
use crate::web::use_presence;

/// Props of [`PresenceStatusPicker`].
#[derive(Properties, PartialEq)]
pub struct PresenceStatusPickerProps {
    /// The source's name, as configured.
    pub source: AttrValue,
    /// The person's id at that source: the signed-in user, whose own status it sets.
    pub user: AttrValue,
    /// The icon's size in pixels, 10 to 32.
    #[prop_or(16)]
    pub size: u32,
}

/// The expiries the message dialog offers, in minutes (0: never).
const EXPIRIES: [u64; 5] = [0, 30, 60, 240, 1440];

/// The person's status as a menu button that sets it.
///
/// ```no_run
/// use presence_widgets::web::PresenceStatusPicker;
/// use yew::prelude::*;
///
/// #[component]
/// fn Header() -> Html {
///     html! { <PresenceStatusPicker source="teams" user="2e2f43c7-43c7-2e2f-c743-2f2ec7432f2e" /> }
/// }
/// ```
#[component]
pub fn PresenceStatusPicker(props: &PresenceStatusPickerProps) -> Html {
    let state = use_presence(&props.source, &props.user);
    let page = use_page();
    let labels = page.labels.clone();
    let store = page.stores.get(&props.source).cloned();
    let root = use_stylesheet();
    let button = use_node_ref();
    let menu = use_node_ref();
    let dialog = use_node_ref();
    let message = use_node_ref();
    let expiry = use_node_ref();
    let open = use_state(|| false);
    // The element ids it names (menu, note, title): its own, whatever the person's id holds.
    let instance = use_state(next_instance);
    let focus = use_state(|| 0_usize);
    let error = use_state(|| None::<String>);
    // Asked again as the state changes: Genesys's definitions arrive with the first read.
    let choices: Vec<Choice> = store.as_ref().map(|s| s.choices()).unwrap_or_default();
    let note = store
        .as_ref()
        .and_then(|s| s.write_note())
        .map(|key| labels.text(key).into_owned());
    let writes = !choices.is_empty();
    // Items: the choices, then reset, then the message dialog.
    let count = choices.len().saturating_add(2);
    let badge = use_badge(&state, props.size, true, NodeRef::default());
    let shown = state.presence().cloned();
    // The choice the person shows: by the service's own value, else by what it shows as.
    let current = shown.as_ref().and_then(|p| {
        choices.iter().position(|c| c.value == p.raw).or_else(|| {
            choices
                .iter()
                .position(|c| c.availability == p.availability && c.activity == p.activity)
        })
    });
    let described = labels.describe_state(&state, now_ms());
    let writing = store
        .as_ref()
        .is_some_and(|s| s.writing(&UserId::new(props.user.as_str())));

    // Focus follows the menu's active item; closing returns it to the button.
    {
        let menu = menu.clone();
        use_effect_with((*open, *focus), move |(open, focus)| {
            if *open {
                let item = menu
                    .cast::<HtmlElement>()
                    .and_then(|m| m.query_selector_all("[role^=menuitem]").ok())
                    .and_then(|items| items.item(u32::try_from(*focus).unwrap_or(0)))
                    .and_then(|n| n.dyn_into::<HtmlElement>().ok());
                if let Some(item) = item {
                    let _ = item.focus();
                }
            }
        });
    }
    let close = {
        let (open, button) = (open.clone(), button.clone());
        Callback::from(move |refocus: bool| {
            open.set(false);
            if refocus {
                if let Some(b) = button.cast::<HtmlElement>() {
                    let _ = b.focus();
                }
            }
        })
    };
    // Sends a write; the answer is told by events on the picker, if it is still on the page.
    let send = {
        let (store, user, source) = (store.clone(), props.user.clone(), props.source.clone());
        let (error, root) = (error.clone(), root.clone());
        Callback::from(move |write: StatusWrite| {
            let Some(store) = store.clone() else {
                return;
            };
            // One at a time: the items say so (aria-disabled) while one is in flight.
            if store.writing(&UserId::new(user.as_str())) {
                return;
            }
            let (user, source, error, root) =
                (user.clone(), source.clone(), error.clone(), root.clone());
            error.set(None);
            let id = UserId::new(user.as_str());
            // Reserved now: the items say so before the write is first polled.
            let pending = store.write(&id, write.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let outcome = pending.await;
                let Some(node) = root.cast::<HtmlElement>().filter(|n| n.is_connected()) else {
                    return;
                };
                match outcome {
                    Ok(()) => dispatch(&node, "presence-set", &set_detail(&source, &id, &write)),
                    Err(e) => {
                        dispatch(&node, "presence-set-error", &error_detail(&source, &id, &e));
                        error.set(Some(e.to_string()));
                    }
                }
            });
        })
    };
    let activate = {
        let (choices, close, send, dialog) =
            (choices.clone(), close.clone(), send.clone(), dialog.clone());
        Callback::from(move |index: usize| {
            if writing {
                // Every item says aria-disabled: nothing more until the write ends.
                return;
            }
            close.emit(index != choices.len().saturating_add(1));
            match choices.get(index) {
                Some(choice) => send.emit(StatusWrite {
                    status: Some(choice.value.clone()),
                    ..StatusWrite::default()
                }),
                None if index == choices.len() => send.emit(StatusWrite {
                    reset: true,
                    ..StatusWrite::default()
                }),
                None => {
                    if let Some(d) = dialog.cast::<HtmlDialogElement>() {
                        let _ = d.show_modal();
                    }
                }
            }
        })
    };
    // Enter and Space click the button (as does a screen reader or a script): the click
    // opens the menu on its first item; the arrows open it on the first or the last.
    let on_button_key = {
        let (open, focus) = (open.clone(), focus.clone());
        Callback::from(move |e: KeyboardEvent| {
            let to = match e.key().as_str() {
                "ArrowDown" => 0,
                "ArrowUp" => count.saturating_sub(1),
                _ => return,
            };
            e.prevent_default();
            focus.set(to);
            open.set(true);
        })
    };
    let on_button_click = {
        let (open, focus) = (open.clone(), focus.clone());
        Callback::from(move |_: MouseEvent| {
            focus.set(0);
            open.set(!*open);
        })
    };
    let on_menu_key = {
        let (focus, close, activate) = (focus.clone(), close.clone(), activate.clone());
        Callback::from(move |e: KeyboardEvent| {
            let at = *focus;
            let last = count.saturating_sub(1);
            let to = match e.key().as_str() {
                "ArrowDown" => {
                    if at >= last {
                        0
                    } else {
                        at.saturating_add(1)
                    }
                }
                "ArrowUp" => {
                    if at == 0 {
                        last
                    } else {
                        at.saturating_sub(1)
                    }
                }
                "Home" => 0,
                "End" => last,
                "Escape" => {
                    // The page's own dialog, if the picker is in one, stays open.
                    e.prevent_default();
                    e.stop_propagation();
                    close.emit(true);
                    return;
                }
                "Tab" => {
                    close.emit(false);
                    return;
                }
                "Enter" | " " => {
                    e.prevent_default();
                    activate.emit(at);
                    return;
                }
                _ => return,
            };
            e.prevent_default();
            focus.set(to);
        })
    };
    // Focus leaving the picker (a click elsewhere) closes the menu.
    let on_focus_out = {
        let (close, root) = (close.clone(), root.clone());
        Callback::from(move |e: FocusEvent| {
            let inside = e
                .related_target()
                .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
                .zip(root.cast::<web_sys::Node>())
                .is_some_and(|(t, r)| r.contains(Some(&t)));
            if !inside {
                close.emit(false);
            }
        })
    };
    let on_save = {
        let (send, dialog, message, expiry, button) = (
            send.clone(),
            dialog.clone(),
            message.clone(),
            expiry.clone(),
            button.clone(),
        );
        // A service that sets a message only with a status (SuperOffice) is sent the current one.
        let status = current
            .and_then(|i| choices.get(i))
            .map(|c| c.value.clone());
        let (store, user) = (store.clone(), UserId::new(props.user.as_str()));
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = message
                .cast::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default();
            let minutes: u64 = expiry
                .cast::<HtmlSelectElement>()
                .and_then(|s| s.value().parse().ok())
                .unwrap_or(0);
            let mut write = StatusWrite {
                message: Some(text),
                expires_ms: (minutes > 0)
                    .then(|| now_ms().saturating_add(minutes.saturating_mul(60_000))),
                ..StatusWrite::default()
            };
            if !store.as_ref().is_some_and(|s| s.takes(&user, &write)) {
                write.status.clone_from(&status);
            }
            close_dialog(&dialog, &button);
            send.emit(write);
        })
    };
    let on_cancel = {
        let (dialog, button) = (dialog.clone(), button.clone());
        Callback::from(move |_: MouseEvent| close_dialog(&dialog, &button))
    };
    let on_dialog_close = {
        let button = button.clone();
        Callback::from(move |_: Event| {
            if let Some(b) = button.cast::<HtmlElement>() {
                let _ = b.focus();
            }
        })
    };

    let menu_id = format!("presence-picker-{}-menu", *instance);
    let title_id = format!("presence-picker-{}-title", *instance);
    let button_label = if writes {
        labels.fill("pickerButton", &[("status", &described)])
    } else {
        labels.fill("pickerNone", &[("status", &described)])
    };
    let items = choices.iter().enumerate().map(|(i, c)| {
        let text = c.label.clone().unwrap_or_else(|| labels.availability(c.availability).into_owned());
        let onclick = {
            let activate = activate.clone();
            Callback::from(move |_: MouseEvent| activate.emit(i))
        };
        let checked = if current == Some(i) { "true" } else { "false" };
        html! {
            <li role="menuitemradio" class="presence-picker__item" tabindex="-1" aria-checked={checked}
                aria-disabled={writing.then_some("true")} {onclick}>
                { super::icon::icon(look_of(c), 12, "") }
                <span>{ text }</span>
            </li>
        }
    });
    let reset_click = {
        let activate = activate.clone();
        let at = choices.len();
        Callback::from(move |_: MouseEvent| activate.emit(at))
    };
    let message_click = {
        let activate = activate.clone();
        let at = choices.len().saturating_add(1);
        Callback::from(move |_: MouseEvent| activate.emit(at))
    };
    let expiry_field = expires(&choices, &store, &props.user).then(|| {
        html! {
            <label class="presence-picker__field">
                <span>{ labels.text("pickerExpiry").into_owned() }</span>
                <select ref={expiry}>
                    { for EXPIRIES.iter().map(|m| html! { <option value={m.to_string()} selected={*m == 0}>{ expiry_text(&labels, *m) }</option> }) }
                </select>
            </label>
        }
    });
    let old_message = shown
        .as_ref()
        .and_then(|p| p.message.clone())
        .unwrap_or_default();
    html! {
        <span ref={root} class="presence-picker" part="picker" onfocusout={on_focus_out}>
            <button ref={button} type="button" class="presence-picker__button" part="button"
                aria-haspopup="menu" aria-expanded={if *open { "true" } else { "false" }}
                aria-controls={menu_id.clone()} aria-label={button_label} aria-busy={if writing { "true" } else { "false" }}
                disabled={!writes} onkeydown={on_button_key} onclick={on_button_click}>
                { badge }
                <span class="presence-picker__caret" aria-hidden="true">{ "▾" }</span>
            </button>
            if *open {
                <span class="presence-picker__popup" part="menu">
                    if let Some(note) = note.clone() {
                        <span class="presence-picker__note" id={format!("{menu_id}-note")}>{ note }</span>
                    }
                    <ul ref={menu} id={menu_id.clone()} role="menu" class="presence-picker__menu"
                        aria-label={labels.text("pickerMenu").into_owned()}
                        aria-describedby={note.as_ref().map(|_| format!("{menu_id}-note"))}
                        onkeydown={on_menu_key}>
                        { for items }
                        <li role="separator" class="presence-picker__separator"></li>
                        <li role="menuitem" class="presence-picker__item" tabindex="-1"
                            aria-disabled={writing.then_some("true")} onclick={reset_click}>
                            { labels.text("pickerReset").into_owned() }
                        </li>
                        <li role="menuitem" class="presence-picker__item" tabindex="-1" aria-haspopup="dialog"
                            aria-disabled={writing.then_some("true")} onclick={message_click}>
                            { labels.text("pickerMessage").into_owned() }
                        </li>
                    </ul>
                </span>
            }
            if let Some(why) = &*error {
                <span class="presence-picker__error" role="alert">{ labels.fill("pickerRefused", &[("reason", why)]) }</span>
            }
            <dialog ref={dialog} class="presence-picker__dialog" part="dialog" aria-labelledby={title_id.clone()} onclose={on_dialog_close}>
                <form onsubmit={on_save}>
                    <h2 id={title_id} class="presence-picker__title">{ labels.text("pickerMessageTitle").into_owned() }</h2>
                    <label class="presence-picker__field">
                        <span>{ labels.text("pickerMessageLabel").into_owned() }</span>
                        <input ref={message} type="text" value={old_message} autocomplete="off" />
                    </label>
                    { for expiry_field }
                    <span class="presence-picker__actions">
                        <button type="button" onclick={on_cancel}>{ labels.text("pickerCancel").into_owned() }</button>
                        <button type="submit">{ labels.text("pickerSave").into_owned() }</button>
                    </span>
                </form>
            </dialog>
        </span>
    }
}

/// Whether the source keeps an expiry (Graph's message, Rocket.Chat's status): a write with one
/// is planned without refusal.
fn expires(choices: &[Choice], store: &Option<crate::web::Store>, user: &str) -> bool {
    let (Some(store), Some(choice)) = (store, choices.first()) else {
        return false;
    };
    let probe = StatusWrite {
        status: Some(choice.value.clone()),
        expires_ms: Some(now_ms().saturating_add(3_600_000)),
        ..StatusWrite::default()
    };
    store.takes(&UserId::new(user), &probe)
}

thread_local! {
    static INSTANCES: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// A number of its own for each picker on the page.
fn next_instance() -> u32 {
    INSTANCES.with(|n| {
        n.set(n.get().wrapping_add(1));
        n.get()
    })
}

fn expiry_text(labels: &Labels, minutes: u64) -> String {
    match minutes {
        0 => labels.text("pickerNever").into_owned(),
        m if m < 60 => labels.fill("minutes", &[("n", &m.to_string())]),
        m => labels.fill("hours", &[("n", &(m / 60).to_string())]),
    }
}

/// How a status the person may pick looks: its availability's colour and shape.
fn look_of(choice: &Choice) -> super::icon::Look {
    super::icon::Look::Presence {
        availability: choice.availability,
        out_of_office: false,
        idle: false,
        stale: false,
    }
}

fn close_dialog(dialog: &NodeRef, button: &NodeRef) {
    if let Some(d) = dialog.cast::<HtmlDialogElement>() {
        d.close();
    }
    if let Some(b) = button.cast::<HtmlElement>() {
        let _ = b.focus();
    }
}

fn set_detail(source: &str, user: &UserId, write: &StatusWrite) -> String {
    Object::new()
        .string("source", source)
        .string("user", user.as_str())
        .opt_string("status", write.status.as_deref())
        .boolean("reset", write.reset)
        .opt_string("message", write.message.as_deref())
        .finish()
}

fn error_detail(source: &str, user: &UserId, error: &PresenceError) -> String {
    Object::new()
        .string("source", source)
        .string("user", user.as_str())
        .string("message", &error.to_string())
        .raw("error", &error.to_json())
        .finish()
}

fn dispatch(node: &HtmlElement, name: &str, detail: &str) {
    let init = web_sys::CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&js_sys::JSON::parse(detail).unwrap_or(wasm_bindgen::JsValue::NULL));
    if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = node.dispatch_event(&event);
    }
}
