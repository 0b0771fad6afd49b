//! The digest the simulator keeps instead of a token: a leaf, so that what remembers tokens
//! ([`crate::identity`], [`crate::hub`], the Genesys channels) needs nothing else for it.

use std::hash::{DefaultHasher, Hash, Hasher};

/// A digest of a token: what the simulator keeps instead of the token.
pub fn digest(token: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    token.hash(&mut hasher);
    hasher.finish()
}
