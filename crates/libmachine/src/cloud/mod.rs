//! What every cloud driver shares, built once: an HTTP client that retries throttling
//! and server errors with backoff, honouring `Retry-After`, classified by status and a
//! provider's own codes ([`http`]); request signing as a pluggable piece: SigV4, OAuth2
//! and static bearer tokens ([`auth`], [`sigv4`]); long-running operations followed to
//! their end ([`lro`]); API errors as one line ([`error`]); waiters with a deadline
//! and progress lines ([`wait`]); the machine's SSH key made or imported ([`keys`]) and
//! cloud-init user data ([`userdata`]); what a failed create removed, told alike by
//! every driver ([`rollback`]). Drivers sit above this layer; it knows no driver.
//!
//! No cloud SDK: requests are built by hand and signed with aws-sigv4 (the AWS SDK's own
//! signer, 54 crates with roxmltree for the XML answers, about a minute to build cold on
//! two cores), where the AWS SDK's EC2 crate alone takes a quarter of an hour and
//! gigabytes of compiler memory to build. The HTTP stack is ureq on rustls: no OpenSSL.

pub mod auth;
pub mod error;
pub mod http;
pub mod keys;
pub mod lro;
pub mod rollback;
pub mod sigv4;
pub mod userdata;
pub mod wait;

pub use error::ApiError;
pub use http::{HttpClient, RetryPolicy};
pub use rollback::Rollback;
