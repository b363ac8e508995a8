//! Go's standard library, where docker-machine 0.16.2's behaviour came from it and users'
//! scripts depend on the lenient cases: `net/url`'s parser ([`gourl`]), `encoding/gob`
//! (the plugin protocol, [`gob`]), `encoding/json`'s output ([`jsonfmt`]) and
//! `text/template` (`--format`, [`template`]).
//!
//! Leaves: this crate knows nothing of machines, and the compiler keeps it so (it depends
//! on no other crate of the workspace).

pub mod gob;
pub mod gourl;
pub mod jsonfmt;
pub mod template;
