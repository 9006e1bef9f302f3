//! TLS: the rustls setup for `wss://` targets.

use std::sync::{Arc, Once};

use rustls::pki_types::CertificateDer;
use tokio_tungstenite::Connector;

/// The TLS setup when the configuration trusts extra certificates: the public web roots plus
/// those. `None` (tokio-tungstenite's own setup, the public roots) otherwise.
pub(super) fn connector(extra: &[CertificateDer<'static>]) -> Option<Connector> {
    if extra.is_empty() {
        return None;
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let (_, ignored) = roots.add_parsable_certificates(extra.iter().cloned());
    if ignored > 0 {
        tracing::warn!(
            ignored,
            "some trusted certificates are not valid X.509 and were ignored"
        );
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Some(Connector::Rustls(Arc::new(config)))
}

/// Installs rustls' `ring` provider as the process default once. tokio-tungstenite's rustls
/// features build rustls without a provider, and the first `wss://` connect would panic. An
/// already installed provider (e.g. by the application) is kept.
pub(super) fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
