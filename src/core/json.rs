//! A small JSON reader and writer for the adapters.
//!
//! The reader takes what an adapter asks for from an answer in one pass, without building a tree:
//! strings are borrowed unless they hold escapes, unknown fields are skipped, nesting deeper than
//! [`MAX_DEPTH`] is refused. An error names the path of the value that was wrong
//! (`value[3].availability`) and what was found there. It is written by hand, not derived, because
//! every page downloads it: serde's generated readers for the four providers weighed about 47 KB
//! of gzip in the wasm module; this weighs a few.
//!
//! An adapter reads an answer the way it is written: a loop over an object's keys, a `match` on
//! each, and [`Reader::skip`] for the rest. [`Reader::entries`] reads a list of people so that a
//! wrong value inside one entry (a number where a string belongs) costs that entry only: it comes
//! back beside the entry as a problem, and the next entry is read.
//!
//! ```
//! use presence_widgets::core::json::{decode, JsonError, Reader};
//!
//! #[derive(Default)]
//! struct Wire<'a> {
//!     id: Option<std::borrow::Cow<'a, str>>,
//!     availability: Option<std::borrow::Cow<'a, str>>,
//! }
//!
//! fn presence<'a>(r: &mut Reader<'a>) -> Result<Wire<'a>, JsonError> {
//!     let mut wire = Wire::default();
//!     r.object()?;
//!     while let Some(key) = r.key()? {
//!         match key.as_ref() {
//!             "id" => wire.id = r.opt_string()?,
//!             // A wrong type here is this entry's problem, not the answer's.
//!             "availability" => wire.availability = r.soft(Reader::opt_string)?.flatten(),
//!             _ => r.skip()?,
//!         }
//!     }
//!     Ok(wire)
//! }
//!
//! let body = r#"{"value": [{"id": "a", "availability": "Busy"}, {"id": "b", "availability": 5}]}"#;
//! let entries = decode(body, |r| {
//!     let mut entries = Vec::new();
//!     r.object()?;
//!     while let Some(key) = r.key()? {
//!         match key.as_ref() {
//!             "value" => entries = r.entries(presence)?,
//!             _ => r.skip()?,
//!         }
//!     }
//!     Ok(entries)
//! })?;
//! assert_eq!(entries[0].value.as_ref().and_then(|w| w.availability.as_deref()), Some("Busy"));
//! assert!(entries[0].problems.is_empty());
//! assert_eq!(entries[1].problems[0].path, "value[1].availability");
//! assert_eq!(entries[1].problems[0].message, "expected a string, found a number");
//! # Ok::<(), JsonError>(())
//! ```

use std::borrow::Cow;
use std::fmt::Write as _;

/// Objects and arrays nested deeper than this are refused (as serde_json refuses them).
pub const MAX_DEPTH: usize = 127;

/// What was wrong with a body, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// Where: `.` for the whole body, else `value[3].availability`.
    pub path: String,
    /// What: `expected a string, found a number`.
    pub message: String,
    /// True when the text is not JSON at all (from here on it cannot be read); false when it is
    /// JSON with a value of another type or shape than expected, which [`Reader::soft`] can
    /// step over.
    pub syntax: bool,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`: {}", self.path, self.message)
    }
}

/// One item of a list read by [`Reader::entries`]: its value, unless the item itself was of
/// another type, and what was wrong inside it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry<T> {
    /// The item as read; `None` when it was not what the reader expected at all.
    pub value: Option<T>,
    /// The values inside the item that were of another type than expected, each skipped.
    pub problems: Vec<JsonError>,
}

/// What kind of value comes next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `{`.
    Object,
    /// `[`.
    Array,
    /// `"`.
    String,
    /// `-` or a digit.
    Number,
    /// `true` or `false`.
    Bool,
    /// `null`.
    Null,
}

/// Where the reader is: in an object after a key, in an array at an index, or in a `null` read
/// as an empty object or array.
#[derive(Clone, Debug)]
enum Level<'a> {
    Object(Option<Cow<'a, str>>),
    Array(Option<usize>),
    Null,
}

/// Reads one JSON text, value by value, as the caller asks.
#[derive(Debug)]
pub struct Reader<'a> {
    text: &'a str,
    pos: usize,
    levels: Vec<Level<'a>>,
    problems: Vec<JsonError>,
}

impl<'a> Reader<'a> {
    /// Reads `text`.
    pub fn new(text: &'a str) -> Self {
        Self {
            text,
            pos: 0,
            levels: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// The next byte that is not white space.
    fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.byte() {
            self.pos += 1;
        }
        self.byte()
    }

    /// An error at the current path: a value of another type or shape than expected.
    pub fn error(&self, message: impl Into<String>) -> JsonError {
        self.error_of(message, false)
    }

    /// An error at the current path where the text stops being JSON.
    fn broken(&self, message: impl Into<String>) -> JsonError {
        self.error_of(message, true)
    }

    fn error_of(&self, message: impl Into<String>, syntax: bool) -> JsonError {
        let mut path = String::new();
        for level in &self.levels {
            match level {
                Level::Object(Some(key)) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Level::Array(Some(i)) => {
                    let _ = write!(path, "[{i}]");
                }
                Level::Object(None) | Level::Array(None) | Level::Null => {}
            }
        }
        if path.is_empty() {
            path.push('.');
        }
        JsonError {
            path,
            message: message.into(),
            syntax,
        }
    }

    /// What kind of value comes next, judged by its first character; `None` at the end of the
    /// text or before a character that starts no value.
    pub fn kind(&mut self) -> Option<Kind> {
        match self.peek()? {
            b'{' => Some(Kind::Object),
            b'[' => Some(Kind::Array),
            b'"' => Some(Kind::String),
            b'-' | b'0'..=b'9' => Some(Kind::Number),
            b't' | b'f' => Some(Kind::Bool),
            b'n' => Some(Kind::Null),
            _ => None,
        }
    }

    /// `expected {what}, found …`, naming what comes next.
    fn expected<T>(&mut self, what: &str) -> Result<T, JsonError> {
        let found = match self.kind() {
            None if self.peek().is_none() => {
                return Err(self.broken(format!("expected {what}, found the end of the body")))
            }
            None => {
                return Err(self.broken(format!(
                    "expected {what}, found a character that does not start a JSON value"
                )))
            }
            Some(Kind::Object) => "an object",
            Some(Kind::Array) => "an array",
            Some(Kind::String) => "a string",
            Some(Kind::Number) => "a number",
            Some(Kind::Bool) => "a boolean",
            Some(Kind::Null) => "null",
        };
        Err(self.error(format!("expected {what}, found {found}")))
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn word(&mut self, word: &str) -> bool {
        let found = self
            .text
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word));
        if found {
            self.pos += word.len();
        }
        found
    }

    /// Reads `null` if it comes next.
    pub fn null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.word("null")
    }

    fn enter(&mut self, level: Level<'a>) -> Result<(), JsonError> {
        if self.levels.len() >= MAX_DEPTH {
            return Err(self.broken(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        self.levels.push(level);
        Ok(())
    }

    /// Starts an object, then [`Reader::key`] until `None`. `null` reads as an object without
    /// keys; the answer says which it was: `true` for an object, `false` for `null`.
    ///
    /// # Errors
    /// When something else comes next.
    pub fn object(&mut self) -> Result<bool, JsonError> {
        if self.null() {
            self.enter(Level::Null)?;
            return Ok(false);
        }
        if !self.eat(b'{') {
            return self.expected("an object");
        }
        self.enter(Level::Object(None))?;
        Ok(true)
    }

    /// The object's next key, its value to be read next; `None` at its end.
    ///
    /// # Errors
    /// When the object is malformed.
    pub fn key(&mut self) -> Result<Option<Cow<'a, str>>, JsonError> {
        let first = match self.levels.last() {
            Some(Level::Object(key)) => key.is_none(),
            Some(Level::Null) => {
                self.levels.pop();
                return Ok(None);
            }
            _ => return Err(self.error("a key asked for outside an object")),
        };
        if self.eat(b'}') {
            self.levels.pop();
            return Ok(None);
        }
        if !first && !self.eat(b',') {
            return Err(self.broken("expected `,` or `}`"));
        }
        if self.peek() != Some(b'"') {
            return Err(self.broken("expected a key"));
        }
        let key = self.string_body()?;
        if !self.eat(b':') {
            return Err(self.broken("expected `:`"));
        }
        if let Some(level) = self.levels.last_mut() {
            *level = Level::Object(Some(key.clone()));
        }
        Ok(Some(key))
    }

    /// Starts an array, then [`Reader::item`] until `false`. `null` reads as an empty array; the
    /// answer says which it was: `true` for an array, `false` for `null`.
    ///
    /// # Errors
    /// When something else comes next.
    pub fn array(&mut self) -> Result<bool, JsonError> {
        if self.null() {
            self.enter(Level::Null)?;
            return Ok(false);
        }
        if !self.eat(b'[') {
            return self.expected("an array");
        }
        self.enter(Level::Array(None))?;
        Ok(true)
    }

    /// Whether the array has another item, to be read next.
    ///
    /// # Errors
    /// When the array is malformed.
    pub fn item(&mut self) -> Result<bool, JsonError> {
        let index = match self.levels.last() {
            Some(Level::Array(index)) => *index,
            Some(Level::Null) => {
                self.levels.pop();
                return Ok(false);
            }
            _ => return Err(self.error("an item asked for outside an array")),
        };
        if self.eat(b']') {
            self.levels.pop();
            return Ok(false);
        }
        if index.is_some() && !self.eat(b',') {
            return Err(self.broken("expected `,` or `]`"));
        }
        if let Some(level) = self.levels.last_mut() {
            *level = Level::Array(Some(index.map_or(0, |i| i.saturating_add(1))));
        }
        Ok(true)
    }

    /// A string.
    ///
    /// # Errors
    /// When something else comes next, or the string is malformed.
    pub fn string(&mut self) -> Result<Cow<'a, str>, JsonError> {
        if self.peek() != Some(b'"') {
            return self.expected("a string");
        }
        self.string_body()
    }

    /// A string, or `None` for `null`.
    ///
    /// # Errors
    /// When something else comes next.
    pub fn opt_string(&mut self) -> Result<Option<Cow<'a, str>>, JsonError> {
        if self.null() {
            return Ok(None);
        }
        self.string().map(Some)
    }

    /// A string as an owned `String`, or `None` for `null`.
    ///
    /// # Errors
    /// When something else comes next.
    pub fn opt_owned(&mut self) -> Result<Option<String>, JsonError> {
        Ok(self.opt_string()?.map(Cow::into_owned))
    }

    /// A string if one comes next, else the value skipped and `None`: for error bodies, where
    /// what can be read is better than nothing.
    ///
    /// # Errors
    /// When the value is malformed.
    pub fn lenient_string(&mut self) -> Result<Option<Cow<'a, str>>, JsonError> {
        if self.peek() == Some(b'"') {
            return self.string_body().map(Some);
        }
        self.skip().map(|()| None)
    }

    /// `true` or `false`, or `None` for `null`.
    ///
    /// # Errors
    /// When something else comes next.
    pub fn opt_bool(&mut self) -> Result<Option<bool>, JsonError> {
        if self.null() {
            Ok(None)
        } else if self.word("true") {
            Ok(Some(true))
        } else if self.word("false") {
            Ok(Some(false))
        } else {
            self.expected("true or false")
        }
    }

    /// A number's text, as written (`-12.5e3`).
    ///
    /// # Errors
    /// When something else comes next.
    pub fn number(&mut self) -> Result<&'a str, JsonError> {
        let start = match self.peek() {
            Some(b'-' | b'0'..=b'9') => self.pos,
            _ => return self.expected("a number"),
        };
        self.eat(b'-');
        let digits = |r: &mut Self| {
            let from = r.pos;
            while let Some(b'0'..=b'9') = r.byte() {
                r.pos += 1;
            }
            r.pos > from
        };
        if self.byte() == Some(b'0') {
            self.pos += 1;
            if let Some(b'0'..=b'9') = self.byte() {
                return Err(self.broken("a malformed number"));
            }
        } else if !digits(self) {
            return Err(self.broken("a malformed number"));
        }
        if self.byte() == Some(b'.') {
            self.pos += 1;
            if !digits(self) {
                return Err(self.broken("a malformed number"));
            }
        }
        if let Some(b'e' | b'E') = self.byte() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.byte() {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(self.broken("a malformed number"));
            }
        }
        Ok(self.text.get(start..self.pos).unwrap_or_default())
    }

    /// A whole number from 0 to 4,294,967,295, or `None` for `null`.
    ///
    /// # Errors
    /// When something else comes next.
    pub fn opt_u32(&mut self) -> Result<Option<u32>, JsonError> {
        if self.null() {
            return Ok(None);
        }
        let text = self.number()?;
        text.parse().map(Some).map_err(|_| {
            self.error(format!(
                "expected a whole number from 0 to {}, found {text}",
                u32::MAX
            ))
        })
    }

    /// Skips whatever value comes next, checking that it is well formed.
    ///
    /// # Errors
    /// When it is not.
    pub fn skip(&mut self) -> Result<(), JsonError> {
        match self.peek() {
            Some(b'{') => {
                self.object()?;
                while self.key()?.is_some() {
                    self.skip()?;
                }
            }
            Some(b'[') => {
                self.array()?;
                while self.item()? {
                    self.skip()?;
                }
            }
            Some(b'"') => {
                self.string_body()?;
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
            }
            _ => {
                if !(self.null() || self.word("true") || self.word("false")) {
                    return Err(self.broken("expected a value"));
                }
            }
        }
        Ok(())
    }

    /// Reads a value with `read`, forgiving a value of another type or shape: then the value is
    /// skipped, what was wrong is kept as a problem of the entry being read (see
    /// [`Reader::entries`]), and the answer is `None`. A text that is not JSON is still an error.
    ///
    /// # Errors
    /// When the text is not JSON from here on.
    ///
    /// ```
    /// use presence_widgets::core::json::Reader;
    /// let mut r = Reader::new(r#"[5, "x"]"#);
    /// r.array()?;
    /// r.item()?;
    /// assert_eq!(r.soft(Reader::string)?, None);
    /// r.item()?;
    /// assert_eq!(r.soft(Reader::string)?.as_deref(), Some("x"));
    /// # Ok::<(), presence_widgets::core::json::JsonError>(())
    /// ```
    pub fn soft<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, JsonError>,
    ) -> Result<Option<T>, JsonError> {
        let mark = (self.pos, self.levels.len());
        match read(self) {
            Ok(value) => Ok(Some(value)),
            Err(e) => self.forgive(mark, e).map(|()| None),
        }
    }

    /// [`Reader::soft`]'s failure: back to where the value began, skipped, kept as a problem.
    /// Compiled once, not once per caller.
    #[inline(never)]
    fn forgive(&mut self, (pos, depth): (usize, usize), e: JsonError) -> Result<(), JsonError> {
        if e.syntax {
            return Err(e);
        }
        self.pos = pos;
        self.levels.truncate(depth);
        self.skip()?;
        self.problems.push(e);
        Ok(())
    }

    /// An array's items, each read by `item`, leniently: a value of another type inside one
    /// item (read with [`Reader::soft`]), or an item that is not what `item` reads at all,
    /// becomes that entry's problem, and the next item is read. `null` reads as no items.
    ///
    /// # Errors
    /// When the value is not an array, or the text is not JSON.
    pub fn entries<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, JsonError>,
    ) -> Result<Vec<Entry<T>>, JsonError> {
        let outer = std::mem::take(&mut self.problems);
        let read = self.each_entry(&mut item);
        self.problems = outer;
        read
    }

    fn each_entry<T>(
        &mut self,
        item: &mut impl FnMut(&mut Self) -> Result<T, JsonError>,
    ) -> Result<Vec<Entry<T>>, JsonError> {
        let mut out = Vec::new();
        self.array()?;
        while self.item()? {
            let value = self.soft(&mut *item)?;
            out.push(Entry {
                value,
                problems: std::mem::take(&mut self.problems),
            });
        }
        Ok(out)
    }

    /// What [`Reader::soft`] forgave since the last call (or since [`Reader::entries`] began the
    /// current entry): for a body that is one entry.
    pub fn take_problems(&mut self) -> Vec<JsonError> {
        std::mem::take(&mut self.problems)
    }

    /// An array's items, each read by `item`; `null` reads as no items.
    ///
    /// # Errors
    /// When the value is not an array, or an item is not what `item` reads.
    pub fn items<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, JsonError>,
    ) -> Result<Vec<T>, JsonError> {
        let mut out = Vec::new();
        self.array()?;
        while self.item()? {
            out.push(item(self)?);
        }
        Ok(out)
    }

    /// `None` for `null`, else the value `read` reads.
    ///
    /// # Errors
    /// When the value is not what `read` reads.
    pub fn optional<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, JsonError>,
    ) -> Result<Option<T>, JsonError> {
        if self.null() {
            Ok(None)
        } else {
            read(self).map(Some)
        }
    }

    /// Checks that nothing but white space follows the value read.
    ///
    /// # Errors
    /// When something does.
    pub fn finish(&mut self) -> Result<(), JsonError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.broken("more after the end of the JSON value")),
        }
    }

    /// The string starting at the current `"`.
    fn string_body(&mut self) -> Result<Cow<'a, str>, JsonError> {
        self.pos += 1;
        let start = self.pos;
        // Fast path: no escapes, borrowed.
        loop {
            match self.byte() {
                Some(b'"') => {
                    let text = self.text.get(start..self.pos).unwrap_or_default();
                    self.pos += 1;
                    return Ok(Cow::Borrowed(text));
                }
                Some(b'\\') => break,
                Some(0..=0x1f) => return Err(self.broken("a control character in a string")),
                Some(_) => self.pos += 1,
                None => return Err(self.broken("a string that does not end")),
            }
        }
        let mut out = String::from(self.text.get(start..self.pos).unwrap_or_default());
        loop {
            let from = self.pos;
            while let Some(b) = self.byte() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(self.text.get(from..self.pos).unwrap_or_default());
            match self.byte() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = self.byte();
                    self.pos += 1;
                    let c = match escaped {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => self.unicode_escape()?,
                        _ => return Err(self.broken("an unknown escape in a string")),
                    };
                    out.push(c);
                }
                Some(_) => return Err(self.broken("a control character in a string")),
                None => return Err(self.broken("a string that does not end")),
            }
        }
    }

    /// The character of `\uXXXX` (the `\u` read), with a following low surrogate if it needs one;
    /// a lone surrogate reads as U+FFFD.
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let high = self.hex4()?;
        if !(0xD800..0xDC00).contains(&high) {
            return Ok(char::from_u32(high).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
        let before = self.pos;
        if !self.word("\\u") {
            return Ok(char::REPLACEMENT_CHARACTER);
        }
        let low = self.hex4()?;
        if !(0xDC00..0xE000).contains(&low) {
            // Not the low half: the lone high surrogate is U+FFFD, and the escape after it is a
            // character of its own, read next.
            self.pos = before;
            return Ok(char::REPLACEMENT_CHARACTER);
        }
        let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
        Ok(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .text
            .get(self.pos..self.pos.saturating_add(4))
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()));
        match digits.and_then(|d| u32::from_str_radix(d, 16).ok()) {
            Some(n) => {
                self.pos += 4;
                Ok(n)
            }
            None => Err(self.broken("a malformed \\u escape in a string")),
        }
    }
}

/// Reads a whole body with `read`, which takes what it needs from the [`Reader`], and checks that
/// nothing follows. A body that is not JSON at all (an HTML error page, nothing) is refused first,
/// naming what it starts with.
///
/// # Errors
/// Where the offending value is and what was wrong with it (`value[3].availability`: expected a
/// string, found a number).
///
/// ```
/// use presence_widgets::core::json::decode;
/// let err = decode("<html><body>Bad gateway", |r| r.string()).unwrap_err();
/// assert_eq!(err.message, "expected JSON, found `<html><body>Bad gateway`");
/// ```
pub fn decode<'a, T>(
    body: &'a str,
    read: impl FnOnce(&mut Reader<'a>) -> Result<T, JsonError>,
) -> Result<T, JsonError> {
    let mut reader = Reader::body(body)?;
    let value = read(&mut reader)?;
    reader.finish()?;
    Ok(value)
}

impl<'a> Reader<'a> {
    /// A reader of a whole body, once it looks like JSON. Compiled once, not once per caller of
    /// [`decode`].
    #[inline(never)]
    fn body(body: &'a str) -> Result<Self, JsonError> {
        let trimmed = body.trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            return Ok(Reader::new(body));
        }
        let found = if trimmed.is_empty() {
            "an empty body".to_owned()
        } else {
            format!("`{}`", snippet(trimmed, 40))
        };
        Err(JsonError {
            path: ".".into(),
            message: format!("expected JSON, found {found}"),
            syntax: true,
        })
    }
}

/// The string fields `names` of the object in an error body (of the object under `within`, when
/// given): what can be read of them, `None` for the rest. Error bodies are read leniently: a field
/// of another type, or a body that is not JSON, is simply not there.
///
/// ```
/// use presence_widgets::core::json::error_fields;
/// let [code, message] = error_fields(r#"{"error": {"code": 42, "message": "Throttled"}}"#, Some("error"), ["code", "message"]);
/// assert_eq!((code, message.as_deref()), (None, Some("Throttled")));
/// ```
pub fn error_fields<const N: usize>(
    body: &str,
    within: Option<&str>,
    names: [&str; N],
) -> [Option<String>; N] {
    let mut found = std::array::from_fn(|_| None);
    let _ = read_fields(&mut Reader::new(body), within, &names, &mut found);
    found
}

fn read_fields(
    r: &mut Reader<'_>,
    within: Option<&str>,
    names: &[&str],
    found: &mut [Option<String>],
) -> Result<(), JsonError> {
    if !r.object()? {
        return Ok(());
    }
    while let Some(key) = r.key()? {
        if within.is_some() {
            if within == Some(key.as_ref()) {
                read_fields(r, None, names, found)?;
            } else {
                r.skip()?;
            }
            continue;
        }
        let slot = names
            .iter()
            .position(|n| *n == key.as_ref())
            .and_then(|i| found.get_mut(i));
        match slot {
            Some(slot) => *slot = r.lenient_string()?.map(Cow::into_owned),
            None => r.skip()?,
        }
    }
    Ok(())
}

/// At most `max` characters of a text, on one line, for an error message.
pub fn snippet(text: &str, max: usize) -> String {
    let one_line: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max.saturating_add(1))
        .collect();
    if one_line.chars().count() > max {
        let cut: String = one_line.chars().take(max).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}

/// Appends `text` as a JSON string, quotes included.
///
/// ```
/// let mut out = String::new();
/// presence_widgets::core::json::push_string(&mut out, "a \"b\"\n");
/// assert_eq!(out, r#""a \"b\"\n""#);
/// ```
pub fn push_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Reads a JSON object whose values are all strings, such as `{"id1": "Ada"}`, in its order.
///
/// # Errors
/// When `text` is not such an object.
///
/// ```
/// use presence_widgets::core::json::string_map;
/// assert_eq!(string_map(r#"{"a": "Ada"}"#).unwrap(), [("a".to_owned(), "Ada".to_owned())]);
/// assert!(string_map(r#"{"a": 1}"#).is_err());
/// ```
pub fn string_map(text: &str) -> Result<Vec<(String, String)>, JsonError> {
    let mut r = Reader::new(text);
    let mut map = Vec::new();
    if r.kind() != Some(Kind::Object) {
        return r.expected("an object");
    }
    r.object()?;
    while let Some(key) = r.key()? {
        let value = r.string()?;
        map.push((key.into_owned(), value.into_owned()));
    }
    r.finish()?;
    Ok(map)
}

/// Writes one JSON object, field by field.
///
/// ```
/// use presence_widgets::core::json::Object;
/// let json = Object::new().string("a", "x").opt_string("b", None).boolean("c", true).finish();
/// assert_eq!(json, r#"{"a":"x","b":null,"c":true}"#);
/// ```
#[derive(Debug)]
pub struct Object(String);

impl Default for Object {
    fn default() -> Self {
        Self::new()
    }
}

impl Object {
    /// An empty object.
    pub fn new() -> Self {
        Self(String::from("{"))
    }

    fn key(&mut self, key: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        push_string(&mut self.0, key);
        self.0.push(':');
    }

    /// A field whose value is already JSON.
    pub fn raw(mut self, key: &str, json: &str) -> Self {
        self.key(key);
        self.0.push_str(json);
        self
    }

    /// A string field.
    pub fn string(mut self, key: &str, value: &str) -> Self {
        self.key(key);
        push_string(&mut self.0, value);
        self
    }

    /// A string field, `null` for `None`.
    pub fn opt_string(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(value) => self.string(key, value),
            None => self.raw(key, "null"),
        }
    }

    /// A boolean field.
    pub fn boolean(self, key: &str, value: bool) -> Self {
        self.raw(key, if value { "true" } else { "false" })
    }

    /// A whole-number field.
    pub fn number(mut self, key: &str, value: u64) -> Self {
        self.key(key);
        let _ = write!(self.0, "{value}");
        self
    }

    /// The object's text.
    pub fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string in a value, read through the API; to test the reader on its own.
    fn strings(text: &str) -> Result<Vec<String>, JsonError> {
        fn walk(r: &mut Reader<'_>, out: &mut Vec<String>) -> Result<(), JsonError> {
            match r.peek() {
                Some(b'{') => {
                    r.object()?;
                    while let Some(key) = r.key()? {
                        out.push(format!("{key}:"));
                        walk(r, out)?;
                    }
                }
                Some(b'[') => {
                    r.array()?;
                    while r.item()? {
                        walk(r, out)?;
                    }
                }
                Some(b'"') => out.push(r.string()?.into_owned()),
                _ => r.skip()?,
            }
            Ok(())
        }
        let mut r = Reader::new(text);
        let mut out = Vec::new();
        walk(&mut r, &mut out)?;
        r.finish()?;
        Ok(out)
    }

    #[test]
    fn reads_nested_values_and_escapes() {
        let got = strings(
            r#" {"a": [1, -2.5e3, true, null, {"b\n": "c\u00e9\ud83d\ude00\"\\\/"}], "d": {}} "#,
        );
        assert_eq!(
            got.unwrap(),
            ["a:", "b\n:", "cé😀\"\\/", "d:"].map(String::from)
        );
    }

    #[test]
    fn errors_name_the_path_and_what_was_found() {
        let mut r = Reader::new(r#"{"value": [{"id": "x"}, {"id": 5}]}"#);
        r.object().unwrap();
        assert_eq!(r.key().unwrap().as_deref(), Some("value"));
        r.array().unwrap();
        let mut err = None;
        while r.item().unwrap() {
            r.object().unwrap();
            while let Some(_key) = r.key().unwrap() {
                if let Err(e) = r.string() {
                    err = Some(e);
                    break;
                }
            }
            if err.is_some() {
                break;
            }
        }
        assert_eq!(
            err,
            Some(JsonError {
                path: "value[1].id".into(),
                message: "expected a string, found a number".into(),
                syntax: false,
            })
        );
    }

    #[test]
    fn malformed_texts_are_errors() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "[01]",
            "[1.]",
            "[-]",
            "[1e]",
            "\"\\x\"",
            "\"\\u12\"",
            "\"a",
            "\"\u{1}\"",
            "nul",
            "[1] 2",
            "{1: 2}",
            "[true false]",
        ] {
            assert!(strings(bad).is_err(), "{bad:?} was read");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "[".repeat(100_000);
        let err = strings(&deep).unwrap_err();
        assert!(err.message.contains("nested deeper"), "{err:?}");
    }

    #[test]
    fn lone_surrogates_read_as_replacement() {
        assert_eq!(strings(r#""\ud800x""#).unwrap(), ["\u{fffd}x"]);
        assert_eq!(strings(r#""\udc00""#).unwrap(), ["\u{fffd}"]);
        // The escape after a lone high surrogate is a character of its own, not swallowed.
        assert_eq!(strings(r#""\ud800\u0041B""#).unwrap(), ["\u{fffd}AB"]);
        assert_eq!(
            strings(r#""\ud800\ud83d\ude00""#).unwrap(),
            ["\u{fffd}\u{1f600}"]
        );
        assert_eq!(strings(r#""\ud800\n""#).unwrap(), ["\u{fffd}\n"]);
    }

    #[test]
    fn soft_values_cost_their_entry_only() {
        let mut r = Reader::new(r#"[{"a": 5, "b": "x"}, 7, {"a": "y"}, null]"#);
        let entries = r
            .entries(|r| {
                let mut got = (None, None);
                r.object()?;
                while let Some(key) = r.key()? {
                    match key.as_ref() {
                        "a" => got.0 = r.soft(Reader::string)?.map(Cow::into_owned),
                        "b" => got.1 = r.soft(Reader::string)?.map(Cow::into_owned),
                        _ => r.skip()?,
                    }
                }
                Ok(got)
            })
            .unwrap();
        r.finish().unwrap();
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[0].value, Some((None, Some("x".into()))));
        assert_eq!(entries[0].problems[0].path, "[0].a");
        assert_eq!(entries[1].value, None, "7 is not an object");
        assert_eq!(
            entries[1].problems[0].message,
            "expected an object, found a number"
        );
        assert_eq!(entries[2].value, Some((Some("y".into()), None)));
        assert!(entries[2].problems.is_empty());
        assert_eq!(
            entries[3].value,
            Some((None, None)),
            "null reads as an empty object"
        );
        // A broken text is still an error.
        let mut r = Reader::new(r#"[{"a": 5,}]"#);
        assert!(r.entries(|r| r.skip()).is_err());
    }

    #[test]
    fn null_reads_as_an_empty_object_or_array() {
        let mut r = Reader::new("null");
        assert!(!r.object().unwrap());
        assert_eq!(r.key().unwrap(), None);
        r.finish().unwrap();
        let mut r = Reader::new("null");
        assert!(!r.array().unwrap());
        assert!(!r.item().unwrap());
    }

    #[test]
    fn written_strings_read_back() {
        let text = "quote \" slash \\ nl \n tab \t bell \u{7} é";
        let mut out = String::new();
        push_string(&mut out, text);
        assert_eq!(strings(&out).unwrap(), [text]);
    }
}
