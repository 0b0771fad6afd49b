//! The stylesheet's default colours meet WCAG AA: every status colour has at least 4.5:1
//! contrast on white in the light scheme and on #1f1f1f in the dark one (icons need 3:1; text
//! 4.5:1, and labels are coloured in the error state), and the mark inside a filled dot has the
//! same contrast on its disk.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

const CSS: &str = include_str!("../src/web/components/presence.css");

fn channel(hex: &str) -> f64 {
    let v = f64::from(u8::from_str_radix(hex, 16).unwrap()) / 255.0;
    if v <= 0.03928 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn luminance(color: &str) -> f64 {
    let h = color.trim_start_matches('#');
    0.2126 * channel(&h[0..2]) + 0.7152 * channel(&h[2..4]) + 0.0722 * channel(&h[4..6])
}

fn contrast(a: &str, b: &str) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// `(custom property, default colour)` for every `--_x: var(--presence-x, #rrggbb)` in `block`.
fn colours(block: &str) -> Vec<(String, String)> {
    block
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.trim().split_once(": var(")?;
            let (_, value) = rest.split_once(", #")?;
            let hex = value.get(..6)?;
            Some((name.to_owned(), format!("#{hex}")))
        })
        .collect()
}

fn status_colours(block: &str) -> Vec<(String, String)> {
    colours(block)
        .into_iter()
        .filter(|(name, _)| {
            !matches!(
                name.as_str(),
                "--_glyph" | "--_text" | "--_muted" | "--_accent" | "--_menu"
            )
        })
        .collect()
}

#[test]
fn light_and_dark_defaults_meet_aa() {
    let dark_at = CSS.find("@media (prefers-color-scheme: dark)").unwrap();
    let (light, dark) = CSS.split_at(dark_at);
    for (scheme, block, page) in [("light", light, "#ffffff"), ("dark", dark, "#1f1f1f")] {
        let all = colours(block);
        let status = status_colours(block);
        assert!(status.len() >= 10, "{scheme}: found {status:?}");
        let glyph = &all.iter().find(|(n, _)| n == "--_glyph").unwrap().1;
        for (name, colour) in &status {
            let on_page = contrast(colour, page);
            assert!(
                on_page >= 4.5,
                "{scheme} {name} {colour} on {page}: {on_page:.2}"
            );
            let mark = contrast(colour, glyph);
            assert!(
                mark >= 4.5,
                "{scheme} {name} {colour} under {glyph}: {mark:.2}"
            );
        }
        // The picker's menu and dialog are a surface of their own: text on it too.
        let menu = &all.iter().find(|(n, _)| n == "--_menu").unwrap().1;
        for name in ["--_text", "--_muted"] {
            let colour = &all.iter().find(|(n, _)| n == name).unwrap().1;
            assert!(contrast(colour, page) >= 4.5, "{scheme} {name}");
            assert!(
                contrast(colour, menu) >= 4.5,
                "{scheme} {name} on the menu {menu}"
            );
        }
    }
}

#[test]
fn forced_colours_and_reduced_motion_are_handled_and_nothing_is_inline() {
    assert!(CSS.contains("@media (forced-colors: active)"));
    assert!(CSS.contains("@media (prefers-reduced-motion: reduce)"));
    assert!(!CSS.contains("!important"));
    let picker = include_str!("../src/web/components/picker.css");
    assert!(picker.contains("@media (forced-colors: active)"));
    assert!(!picker.contains("!important"));
}
