//! Time for the components: now, a clock that ticks while something is stale (its age is
//! shown), and provider timestamps in the page's own format.

use gloo_timers::callback::Interval;
use wasm_bindgen::JsValue;
use yew::prelude::*;

use crate::web::transport::now_ms;

/// How often a stale badge's age is refreshed.
pub const TICK_MS: u32 = 30_000;

/// Now, in milliseconds since the Unix epoch; re-renders every [`TICK_MS`] while `ticking`.
#[hook]
pub fn use_clock(ticking: bool) -> u64 {
    let now = use_state(now_ms);
    {
        let now = now.clone();
        use_effect_with(ticking, move |ticking| {
            let interval = ticking.then(|| Interval::new(TICK_MS, move || now.set(now_ms())));
            move || drop(interval)
        });
    }
    if ticking {
        *now
    } else {
        now_ms()
    }
}

/// A provider's ISO 8601 timestamp in the page's locale ("23/11/2026, 10:32:00"); the text as
/// given when it is not a date.
pub fn local_time(iso: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(iso));
    if date.get_time().is_nan() {
        return iso.to_owned();
    }
    let language = web_sys::window()
        .and_then(|w| w.navigator().language())
        .unwrap_or_else(|| "en".to_owned());
    date.to_locale_string(&language, &JsValue::UNDEFINED).into()
}
