//! Optional API-key authentication, checked the ways the real services accept a key.
//!
//! Auth is off unless an [`ApiKey`] is configured. With a key, a connection must present it in
//! one of these forms (any one that matches is enough):
//!
//! - header `Authorization: Bearer KEY` (OpenAI, Azure Entra ID style);
//! - header `api-key: KEY` (Azure);
//! - query parameter `api-key=KEY`, or `Authorization=Bearer KEY` (Azure browser style);
//! - subprotocol `openai-insecure-api-key.KEY` (OpenAI browser style; the server then answers with
//!   the `realtime` subprotocol).
//!
//! Keys are compared in constant time and never logged, echoed or shown by `Debug`.

use axum::http::HeaderMap;
use subtle::ConstantTimeEq;

use crate::net::refusal::Refusal;

/// The prefix of the browser subprotocol that carries a key.
pub const KEY_SUBPROTOCOL_PREFIX: &str = "openai-insecure-api-key.";

/// An API key the server requires. A secret: its `Debug` output leaves the value out.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key. [`crate::ServerConfigBuilder::build`] rejects keys that are empty or hold
    /// characters a subprotocol token cannot carry.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// Whether the key can be presented in every supported form (non-empty visible ASCII
    /// without separators, so it fits a header, a query value and a subprotocol token).
    pub(crate) fn is_well_formed(&self) -> bool {
        !self.0.is_empty()
            && self
                .0
                .bytes()
                .all(|byte| byte.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&byte))
    }

    /// Constant-time comparison with a presented credential.
    fn matches(&self, presented: &str) -> bool {
        self.0.as_bytes().ct_eq(presented.as_bytes()).into()
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key itself is a secret and is deliberately left out.
        f.debug_struct("ApiKey").finish_non_exhaustive()
    }
}

/// Checks the credentials a connection presents against the configured key.
///
/// With no key configured every connection passes. Otherwise: no credential at all gives
/// [`Refusal::MISSING_API_KEY`], credentials that all fail give [`Refusal::INVALID_API_KEY`].
pub(crate) fn authorize<'a>(
    key: Option<&ApiKey>,
    headers: &HeaderMap,
    query: Option<&str>,
    subprotocols: impl IntoIterator<Item = &'a str>,
) -> Result<(), Refusal> {
    let Some(key) = key else {
        return Ok(());
    };
    let presented = credentials(headers, query, subprotocols);
    if presented.is_empty() {
        return Err(Refusal::MISSING_API_KEY);
    }
    // Compare every credential, without stopping early, so timing says nothing about which one.
    let accepted = presented.iter().fold(false, |accepted, candidate| {
        accepted | key.matches(candidate)
    });
    if accepted {
        Ok(())
    } else {
        Err(Refusal::INVALID_API_KEY)
    }
}

/// Every credential the connection presents, in any supported form.
fn credentials<'a>(
    headers: &HeaderMap,
    query: Option<&str>,
    subprotocols: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut found = Vec::new();
    for value in headers.get_all("authorization") {
        if let Some(token) = value.to_str().ok().and_then(bearer_token) {
            found.push(token.to_owned());
        }
    }
    for value in headers.get_all("api-key") {
        if let Ok(value) = value.to_str() {
            found.push(value.trim().to_owned());
        }
    }
    let pairs: Vec<(String, String)> = query
        .and_then(|query| serde_urlencoded::from_str(query).ok())
        .unwrap_or_default();
    for (name, value) in pairs {
        if name.eq_ignore_ascii_case("api-key") {
            found.push(value);
        } else if name.eq_ignore_ascii_case("authorization")
            && let Some(token) = bearer_token(&value)
        {
            found.push(token.to_owned());
        }
    }
    for protocol in subprotocols {
        if let Some(token) = protocol.trim().strip_prefix(KEY_SUBPROTOCOL_PREFIX) {
            found.push(token.to_owned());
        }
    }
    found
}

/// The token of a `Bearer TOKEN` credential (scheme case-insensitive).
fn bearer_token(value: &str) -> Option<&str> {
    let value = value.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    const KEY: &str = "sk-local-test";

    fn check(
        headers: &[(&'static str, &str)],
        query: &str,
        protocols: &[&str],
    ) -> Result<(), Refusal> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        authorize(
            Some(&ApiKey::new(KEY)),
            &map,
            Some(query),
            protocols.iter().copied(),
        )
    }

    #[test]
    fn no_key_configured_accepts_everything() {
        assert_eq!(authorize(None, &HeaderMap::new(), None, []), Ok(()));
    }

    #[test]
    fn every_credential_form_is_accepted() {
        assert_eq!(
            check(&[("authorization", "Bearer sk-local-test")], "", &[]),
            Ok(())
        );
        assert_eq!(
            check(&[("authorization", "bearer  sk-local-test ")], "", &[]),
            Ok(())
        );
        assert_eq!(check(&[("api-key", KEY)], "", &[]), Ok(()));
        assert_eq!(check(&[], "model=m&api-key=sk-local-test", &[]), Ok(()));
        assert_eq!(
            check(&[], "Authorization=Bearer%20sk-local-test", &[]),
            Ok(())
        );
        assert_eq!(
            check(
                &[],
                "",
                &["realtime", "openai-insecure-api-key.sk-local-test"]
            ),
            Ok(())
        );
        // One good credential among bad ones is enough.
        assert_eq!(
            check(
                &[("authorization", "Bearer wrong"), ("api-key", KEY)],
                "",
                &[]
            ),
            Ok(())
        );
    }

    #[test]
    fn wrong_or_missing_credentials_are_refused() {
        assert_eq!(check(&[], "", &[]), Err(Refusal::MISSING_API_KEY));
        assert_eq!(check(&[], "", &["realtime"]), Err(Refusal::MISSING_API_KEY));
        assert_eq!(
            check(&[("authorization", "Basic c2s=")], "", &[]),
            Err(Refusal::MISSING_API_KEY)
        );
        for bad in [
            check(&[("authorization", "Bearer sk-local-tes")], "", &[]),
            check(&[("authorization", "Bearer sk-local-test2")], "", &[]),
            check(&[("api-key", "nope")], "", &[]),
            check(&[], "api-key=nope", &[]),
            check(&[], "", &["realtime", "openai-insecure-api-key.nope"]),
        ] {
            assert_eq!(bad, Err(Refusal::INVALID_API_KEY));
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let shown = format!("{:?}", ApiKey::new(KEY));
        assert!(!shown.contains(KEY), "{shown}");
        assert_eq!(shown, "ApiKey { .. }");
    }

    #[test]
    fn well_formed_keys() {
        assert!(ApiKey::new(KEY).is_well_formed());
        assert!(!ApiKey::new("").is_well_formed());
        assert!(!ApiKey::new("has space").is_well_formed());
        assert!(!ApiKey::new("a,b").is_well_formed());
        assert!(!ApiKey::new("é").is_well_formed());
    }
}
