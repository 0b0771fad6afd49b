//! Time for the components: how often a stale age is refreshed, and provider timestamps in the
//! page's own format. The ticking clock is [`crate::web::hooks::use_clock`].

use wasm_bindgen::JsValue;

/// How often a stale badge's age is refreshed.
pub const TICK_MS: u32 = 30_000;

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
