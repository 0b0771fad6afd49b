//! The four provider APIs, one file each.

pub mod genesys;
pub mod graph;
pub mod rocketchat;
pub mod superoffice;
