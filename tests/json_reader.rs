//! The hand-written JSON reader against serde_json: every text serde_json writes is read back
//! with the same strings in the same order, and a text broken by one edit is refused by the reader
//! exactly when serde_json refuses it. No input makes it panic.
#![cfg(not(target_arch = "wasm32"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly on inputs they control"
)]

use proptest::prelude::*;
use serde_json::Value;

use presence_widgets::core::json::{JsonError, Kind, Reader};

/// Every key (as `key:`) and string of the text, walked through the reader's API.
fn walk(text: &str) -> Result<Vec<String>, JsonError> {
    fn value(r: &mut Reader<'_>, out: &mut Vec<String>) -> Result<(), JsonError> {
        match r.kind() {
            Some(Kind::Object) => {
                r.object()?;
                while let Some(key) = r.key()? {
                    out.push(format!("{key}:"));
                    value(r, out)?;
                }
            }
            Some(Kind::Array) => {
                r.array()?;
                while r.item()? {
                    value(r, out)?;
                }
            }
            Some(Kind::String) => out.push(r.string()?.into_owned()),
            _ => r.skip()?,
        }
        Ok(())
    }
    let mut r = Reader::new(text);
    let mut out = Vec::new();
    value(&mut r, &mut out)?;
    r.finish()?;
    Ok(out)
}

/// The same, from serde_json's tree. Object keys come in the text's order: serde_json's map
/// sorts them, so objects are walked by the text's own order through `walk` of each part.
fn strings_of(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.push(format!("{k}:"));
                strings_of(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| strings_of(v, out)),
        Value::String(s) => out.push(s.clone()),
        _ => {}
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1.0e12f64..1.0e12).prop_map(Value::from),
        "[a-zA-Z0-9 é😀\"\\\\/\n\t\u{1}-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z\"é]{0,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn reads_back_what_serde_json_writes(value in json_value(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            serde_json::to_string(&value).unwrap()
        };
        // serde_json's map is sorted by key, and writes in that order: the orders agree.
        let mut expected = Vec::new();
        strings_of(&value, &mut expected);
        prop_assert_eq!(walk(&text), Ok(expected));
    }

    #[test]
    fn refuses_what_serde_json_refuses(
        value in json_value(),
        at in any::<prop::sample::Index>(),
        edit in 0..3u8,
        // No `d`: a `\u` escape edited into a lone surrogate is refused by serde_json and read as
        // U+FFFD here, on purpose.
        c in prop::sample::select(vec!['{', '}', '[', ']', '"', ',', ':', '\\', '0', '1', '-', '.', 'e', 'n', 't', ' ', '\u{1}', 'é']),
    ) {
        let text = serde_json::to_string(&value).unwrap();
        let mut chars: Vec<char> = text.chars().collect();
        let i = at.index(chars.len() + 1);
        match edit {
            0 => chars.insert(i, c),
            1 if i < chars.len() => { chars.remove(i); }
            _ if i < chars.len() => chars[i] = c,
            _ => chars.push(c),
        }
        let broken: String = chars.into_iter().collect();
        let theirs = serde_json::from_str::<Value>(&broken);
        // Numbers are checked for their form only: one too large for an f64 is still a number
        // here (the adapters read whole numbers, and skip the rest).
        prop_assume!(!matches!(&theirs, Err(e) if e.to_string().contains("number out of range")));
        let theirs = theirs.is_ok();
        let ours = walk(&broken).is_ok();
        prop_assert_eq!(ours, theirs, "{:?}", broken);
    }

    #[test]
    fn no_text_makes_it_panic(text in "\\PC{0,64}") {
        let _ = walk(&text);
    }
}

#[test]
fn nesting_is_limited_like_serde_json() {
    for depth in [127, 128, 129, 10_000] {
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let theirs = serde_json::from_str::<Value>(&text).is_ok();
        assert_eq!(walk(&text).is_ok(), theirs, "depth {depth}");
    }
}
