//! Time for the components: how often a stale age is refreshed, and provider timestamps in the
//! page's own format. The ticking clock is [`crate::web::hooks::use_clock`].

use wasm_bindgen::JsValue;

/// How often a stale badge's age is refreshed (the clock's, which ticks in the hooks).
pub use crate::web::hooks::TICK_MS;

/// A provider's ISO 8601 timestamp in `language` ("de-CH", a tag the browser canonicalised, as
/// the elements' words carry it; when empty, the browser's, or English in the elements' build),
/// through `Intl` ("23.11.2026, 10:32:00"); the text as given when it is not a date.
pub fn local_time(iso: &str, language: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(iso));
    if date.get_time().is_nan() {
        return iso.to_owned();
    }
    // The elements always give a language (the browser's when the page names none); a yew app's
    // words may have none.
    #[cfg(feature = "element")]
    let language = if language.is_empty() { "en" } else { language };
    #[cfg(not(feature = "element"))]
    let browser;
    #[cfg(not(feature = "element"))]
    let language = if language.is_empty() {
        browser = web_sys::window().and_then(|w| w.navigator().language());
        browser.as_deref().unwrap_or("en")
    } else {
        language
    };
    date.to_locale_string(language, &JsValue::UNDEFINED).into()
}
