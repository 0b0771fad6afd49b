//! What an avatar shows without a picture: a person's initials, on a colour of their own.
//! Plain functions of the name and the id, so that every page draws a person alike.

/// The colours an avatar's initials sit on: each has a contrast of at least 4.5:1 with white
/// text (WCAG AA for normal text), checked by the tests below.
pub const COLOURS: [&str; 12] = [
    "#1b5e20", "#0d47a1", "#4a148c", "#b71c1c", "#004d40", "#3e2723", "#1a237e", "#880e4f",
    "#33691e", "#01579b", "#5d4037", "#37474f",
];

/// Up to two letters for `name`: the first letters of its first and last words ("Amélie
/// Silva" → "AS", "rocket.cat" → "rc", "Prince" → "P"), as written (the stylesheet shows them in
/// capitals: Unicode's case tables would cost the wasm about 10 KB); "?" when it has none.
///
/// ```
/// use presence_widgets::core::avatar::initials;
/// assert_eq!(initials("Amélie Silva"), "AS");
/// assert_eq!(initials("jane.doe@example.com"), "jd");
/// assert_eq!(initials("  "), "?");
/// ```
pub fn initials(name: &str) -> String {
    // An address counts by what stands before its @.
    let name = name.split('@').next().unwrap_or(name);
    let mut words = name
        .split(|c: char| c.is_whitespace() || matches!(c, '.' | '_' | '-' | ','))
        .filter_map(|w| w.chars().find(|c| !c.is_ascii_punctuation()));
    let first = words.next();
    let last = words.next_back();
    let letters: String = first.into_iter().chain(last).collect();
    if letters.is_empty() {
        "?".to_owned()
    } else {
        letters
    }
}

/// The colour of `id`'s initials, one of [`COLOURS`], the same for an id everywhere (FNV-1a of
/// its bytes).
///
/// ```
/// use presence_widgets::core::avatar::{colour, COLOURS};
/// assert_eq!(colour("u1"), colour("u1"));
/// assert!(COLOURS.contains(&colour("someone")));
/// ```
pub fn colour(id: &str) -> &'static str {
    let hash = id.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    let at = usize::try_from(hash % 12).unwrap_or_default();
    COLOURS.get(at).copied().unwrap_or("#37474f")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG 2's relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let channel = |at: usize| {
            let v = f64::from(u8::from_str_radix(&hex[at..at + 2], 16).unwrap()) / 255.0;
            if v <= 0.039_28 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    #[test]
    fn every_colour_has_at_least_4_5_to_1_with_white() {
        for c in COLOURS {
            let ratio = (1.0 + 0.05) / (luminance(c) + 0.05);
            assert!(ratio >= 4.5, "{c}: {ratio:.2}:1");
        }
    }

    #[test]
    fn initials_of_names_ids_and_nothing() {
        assert_eq!(initials("Katherine Keller"), "KK");
        assert_eq!(initials("rocket.cat"), "rc");
        assert_eq!(initials("Prince"), "P");
        assert_eq!(initials("María José de la Fuente"), "MF");
        assert_eq!(initials("山田 太郎"), "山太");
        assert_eq!(initials("2e2f43c7-43c7-2e2f"), "22");
        assert_eq!(initials("!!!"), "?");
        assert_eq!(initials(""), "?");
    }

    #[test]
    fn ids_spread_over_the_colours() {
        let used: std::collections::HashSet<&str> =
            (0..200).map(|i| colour(&format!("user-{i}"))).collect();
        assert!(used.len() >= 10, "{} colours used", used.len());
    }
}
