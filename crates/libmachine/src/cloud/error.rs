//! A cloud API's refusal as one line: `<Service> API error <Code>: <message>` (the code
//! and message the service sent, line breaks folded), so that `create` and `rm` print a
//! single readable line whatever the service's own format was. Whether an error is worth
//! retrying is the HTTP layer's question ([`super::http::Profile`]).

use std::fmt;

/// An error answer of a cloud API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The service's name as users know it (`EC2`).
    pub service: &'static str,
    /// The HTTP status of the answer (0 when no answer came).
    pub status: u16,
    /// The service's error code (`InvalidAMIID.NotFound`, `AuthFailure`...).
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(service: &'static str, status: u16, code: &str, message: &str) -> ApiError {
        ApiError {
            service,
            status,
            code: code.to_string(),
            message: crate::log::one_line(message),
        }
    }

    /// Whether `err` (anywhere in its chain) is this service's error with `code`.
    pub fn has_code(err: &anyhow::Error, code: &str) -> bool {
        err.chain()
            .filter_map(|e| e.downcast_ref::<ApiError>())
            .any(|e| e.code == code)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} API error {}: {}",
            self.service, self.code, self.message
        )
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_with_code_and_message() {
        let e = ApiError::new(
            "EC2",
            400,
            "InvalidAMIID.NotFound",
            "The image id\n '[ami-x]' does not exist",
        );
        assert_eq!(
            e.to_string(),
            "EC2 API error InvalidAMIID.NotFound: The image id '[ami-x]' does not exist"
        );
        let any = anyhow::Error::new(e).context("while launching");
        assert!(ApiError::has_code(&any, "InvalidAMIID.NotFound"));
        assert!(!ApiError::has_code(&any, "AuthFailure"));
    }
}
