//! Secrets (API keys, bearer tokens) and URLs that may carry them, kept out of logs.

use std::fmt;

use url::Url;

/// An API key or bearer token.
///
/// `Debug` prints `Secret(<redacted>)` and there is no `Display`, so a secret cannot reach a log
/// line or an error message by accident. Read the value with [`Secret::expose`] only where it is
/// put on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value itself. Only for putting it into a request header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value is deliberately left out.
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// Query parameters whose values are known not to be secret; every other value is redacted.
const PUBLIC_QUERY_KEYS: &[&str] = &["model", "deployment", "api-version", "intent", "call_id"];

/// A URL formatted for logs and errors: the password and every query value that is not known to be
/// harmless (`model`, `deployment`, `api-version`, `intent`, `call_id`) print as `REDACTED`.
#[derive(Clone, PartialEq, Eq)]
pub struct RedactedUrl(Url);

impl RedactedUrl {
    /// Wraps a URL for printing.
    pub fn new(url: Url) -> Self {
        Self(url)
    }

    /// The URL itself, secrets included.
    pub fn expose(&self) -> &Url {
        &self.0
    }
}

impl fmt::Display for RedactedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

impl fmt::Debug for RedactedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedactedUrl({self})")
    }
}

/// The URL as text with secrets replaced by `REDACTED` (see [`RedactedUrl`]).
pub(crate) fn redact_url(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Only fails for URLs that cannot have a password, which this one has.
        let _ = shown.set_password(Some("REDACTED"));
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(key, value)| {
                let value = if PUBLIC_QUERY_KEYS.contains(&key.as_ref()) {
                    value.into_owned()
                } else {
                    "REDACTED".to_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let secret = Secret::new("sk-very-secret");
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert_eq!(secret.expose(), "sk-very-secret");
    }

    #[test]
    fn url_redacts_unknown_query_values_and_passwords() -> Result<(), url::ParseError> {
        let url = Url::parse(
            "wss://user:pw-secret@example.com/openai/realtime?api-version=2025-04-01-preview&deployment=d&api-key=k-secret",
        )?;
        let shown = RedactedUrl::new(url).to_string();
        assert!(!shown.contains("pw-secret"), "{shown}");
        assert!(!shown.contains("k-secret"), "{shown}");
        assert!(shown.contains("api-version=2025-04-01-preview"), "{shown}");
        assert!(shown.contains("deployment=d"), "{shown}");
        assert!(shown.contains("api-key=REDACTED"), "{shown}");
        Ok(())
    }
}
