//! The four provider APIs, one file each; the two push protocols, one file each.

pub mod genesys;
pub mod genesys_notifications;
pub mod graph;
pub mod rocketchat;
pub mod rocketchat_ddp;
pub mod superoffice;
