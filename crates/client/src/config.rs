//! Client configuration: target, credential and connection limits, from code or the environment.

use std::{collections::HashMap, path::Path, time::Duration};

use rustls::pki_types::{CertificateDer, pem::PemObject};

use crate::{
    auth::Credential,
    env,
    error::Error,
    secret::Secret,
    target::{OpenAiSession, Target},
};

/// Default interval of our keepalive pings.
pub const DEFAULT_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(20);
/// Default maximum size of one incoming message (64 MiB).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 << 20;
/// Default maximum size of one incoming frame (16 MiB).
pub const DEFAULT_MAX_FRAME_SIZE: usize = 16 << 20;
/// Default time allowed for TCP, TLS and the WebSocket upgrade.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time allowed for the server's reply to our close frame.
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Everything needed to open a [`Connection`](crate::Connection).
///
/// Build one with [`ClientConfig::builder`] or [`ClientConfig::from_env`]. `Debug` never shows
/// keys or tokens.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub(crate) target: Target,
    pub(crate) credential: Credential,
    pub(crate) keepalive_interval: Option<Duration>,
    pub(crate) max_message_size: usize,
    pub(crate) max_frame_size: usize,
    pub(crate) connect_timeout: Duration,
    pub(crate) close_timeout: Duration,
    pub(crate) root_certificates: Vec<CertificateDer<'static>>,
}

impl ClientConfig {
    /// Starts a configuration for `target` with no credential and default limits.
    pub fn builder(target: Target) -> ClientConfigBuilder {
        ClientConfigBuilder {
            config: ClientConfig {
                target,
                credential: Credential::None,
                keepalive_interval: Some(DEFAULT_KEEPALIVE_INTERVAL),
                max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
                max_frame_size: DEFAULT_MAX_FRAME_SIZE,
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                close_timeout: DEFAULT_CLOSE_TIMEOUT,
                root_certificates: Vec::new(),
            },
        }
    }

    /// Reads the configuration from the process environment and a `.env` file (current directory
    /// or a parent; real variables win). The process environment is not modified.
    ///
    /// See [`ClientConfig::from_vars`] for the rules.
    pub fn from_env() -> Result<EnvConfig, Error> {
        let dotenv: HashMap<String, String> = match dotenvy::dotenv_iter() {
            Ok(iter) => iter.filter_map(Result::ok).collect(),
            Err(_) => HashMap::new(),
        };
        Self::from_vars(|name| {
            std::env::var(name)
                .ok()
                .or_else(|| dotenv.get(name).cloned())
        })
    }

    /// Builds the configuration from variables looked up by `lookup` (names in [`env`](mod@env)); empty
    /// values count as unset.
    ///
    /// - [`env::AZURE_OPENAI_ENDPOINT`] set: Azure. Needs [`env::AZURE_OPENAI_DEPLOYMENT`] and
    ///   [`env::AZURE_OPENAI_API_KEY`] (for Entra ID tokens, use the builder with a
    ///   [`TokenProvider`](crate::TokenProvider)). With [`env::AZURE_OPENAI_API_VERSION`] the
    ///   preview URL and beta dialect are used, otherwise Azure GA.
    /// - otherwise [`env::OPENAI_API_KEY`] set: OpenAI with [`env::OPENAI_MODEL`] (default
    ///   [`env::DEFAULT_OPENAI_MODEL`]).
    /// - otherwise [`EnvConfig::NoCredentials`].
    ///
    /// ```
    /// use rtclient::{ClientConfig, EnvConfig};
    ///
    /// let found = ClientConfig::from_vars(|name| (name == "OPENAI_API_KEY").then(|| "sk-test".to_owned()))?;
    /// assert!(matches!(found, EnvConfig::OpenAi(_)));
    /// # Ok::<(), rtclient::Error>(())
    /// ```
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<EnvConfig, Error> {
        let var = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        if let Some(endpoint) = var(env::AZURE_OPENAI_ENDPOINT) {
            let deployment = var(env::AZURE_OPENAI_DEPLOYMENT).ok_or(Error::MissingEnv {
                name: env::AZURE_OPENAI_DEPLOYMENT,
                hint: "set it to the name of your realtime deployment",
            })?;
            let key = var(env::AZURE_OPENAI_API_KEY).ok_or(Error::MissingEnv {
                name: env::AZURE_OPENAI_API_KEY,
                hint: "set it, or configure an Entra ID token provider with ClientConfig::builder",
            })?;
            let target = match var(env::AZURE_OPENAI_API_VERSION) {
                Some(version) => Target::azure_preview(&endpoint, &deployment, version.trim())?,
                None => Target::azure(&endpoint, &deployment)?,
            };
            let config = ClientConfig::builder(target)
                .credential(Credential::AzureApiKey(Secret::new(key.trim())))
                .build();
            return Ok(EnvConfig::Azure(config));
        }
        if let Some(key) = var(env::OPENAI_API_KEY) {
            let model =
                var(env::OPENAI_MODEL).unwrap_or_else(|| env::DEFAULT_OPENAI_MODEL.to_owned());
            let config = ClientConfig::builder(Target::openai(OpenAiSession::Model(
                model.trim().to_owned(),
            )))
            .credential(Credential::BearerKey(Secret::new(key.trim())))
            .build();
            return Ok(EnvConfig::OpenAi(config));
        }
        Ok(EnvConfig::NoCredentials)
    }

    /// Where this configuration connects.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// How it authenticates.
    pub fn credential(&self) -> &Credential {
        &self.credential
    }

    /// The keepalive ping interval, `None` when disabled.
    pub fn keepalive_interval(&self) -> Option<Duration> {
        self.keepalive_interval
    }

    /// The maximum size of one incoming message in bytes.
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// The maximum size of one incoming frame in bytes.
    pub fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// A builder holding this configuration, to change some of it.
    pub fn into_builder(self) -> ClientConfigBuilder {
        ClientConfigBuilder { config: self }
    }

    /// Certificates trusted for `wss://` besides the public web roots.
    pub fn root_certificates(&self) -> &[CertificateDer<'static>] {
        &self.root_certificates
    }
}

/// What [`ClientConfig::from_env`] found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum EnvConfig {
    /// `OPENAI_API_KEY` (and maybe `OPENAI_MODEL`) were set.
    OpenAi(ClientConfig),
    /// `AZURE_OPENAI_ENDPOINT` and its companions were set.
    Azure(ClientConfig),
    /// Neither provider is configured; the caller may fall back to a local server.
    NoCredentials,
}

impl EnvConfig {
    /// The configuration, if a provider was found.
    pub fn into_config(self) -> Option<ClientConfig> {
        match self {
            EnvConfig::OpenAi(config) | EnvConfig::Azure(config) => Some(config),
            EnvConfig::NoCredentials => None,
        }
    }
}

/// Builds a [`ClientConfig`]; every setter documents its default. [`ClientConfig::into_builder`]
/// starts from an existing configuration.
#[derive(Debug, Clone)]
pub struct ClientConfigBuilder {
    config: ClientConfig,
}

impl ClientConfigBuilder {
    /// Where to connect (replacing the builder's target).
    pub fn target(mut self, target: Target) -> Self {
        self.config.target = target;
        self
    }

    /// How to authenticate. Default: [`Credential::None`].
    pub fn credential(mut self, credential: Credential) -> Self {
        self.config.credential = credential;
        self
    }

    /// Interval of our keepalive pings, `None` to send none. When nothing at all (not even a pong)
    /// arrives for three intervals, the connection ends with
    /// [`Error::KeepaliveTimeout`](crate::Error::KeepaliveTimeout). Default: 20 s.
    pub fn keepalive_interval(mut self, interval: Option<Duration>) -> Self {
        self.config.keepalive_interval = interval.filter(|interval| !interval.is_zero());
        self
    }

    /// Maximum size of one incoming message in bytes. Default: 64 MiB.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.config.max_message_size = bytes;
        self
    }

    /// Maximum size of one incoming frame in bytes. Default: 16 MiB.
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.config.max_frame_size = bytes;
        self
    }

    /// Time allowed for TCP, TLS and the WebSocket upgrade. Default: 30 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Time allowed for the server's reply to our close frame. Default: 5 s.
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.config.close_timeout = timeout;
        self
    }

    /// Also trusts `certificate` for `wss://`, besides the public web roots: a local server's
    /// self-signed certificate (`rtclient serve --tls-cert`), or the CA of a TLS-inspecting
    /// proxy. Default: the public web roots only.
    pub fn add_root_certificate(mut self, certificate: CertificateDer<'static>) -> Self {
        self.config.root_certificates.push(certificate);
        self
    }

    /// Also trusts every certificate of the PEM file at `path` (see
    /// [`add_root_certificate`](Self::add_root_certificate)).
    pub fn add_root_certificates_pem_file(mut self, path: &Path) -> Result<Self, Error> {
        let invalid = |reason: String| Error::Certificate {
            path: path.display().to_string(),
            reason,
        };
        let certificates = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| invalid(e.to_string()))?;
        if certificates.is_empty() {
            return Err(invalid("no CERTIFICATE block found".to_owned()));
        }
        self.config.root_certificates.extend(certificates);
        Ok(self)
    }

    /// Finishes the configuration.
    pub fn build(self) -> ClientConfig {
        self.config
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::TargetKind;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn nothing_set_is_no_credentials() -> Result<(), Error> {
        assert!(matches!(
            ClientConfig::from_vars(vars(&[]))?,
            EnvConfig::NoCredentials
        ));
        assert!(matches!(
            ClientConfig::from_vars(vars(&[(env::OPENAI_API_KEY, "  ")]))?,
            EnvConfig::NoCredentials
        ));
        Ok(())
    }

    #[test]
    fn openai_uses_model_or_default() -> Result<(), Error> {
        let Some(config) =
            ClientConfig::from_vars(vars(&[(env::OPENAI_API_KEY, "sk-1")]))?.into_config()
        else {
            panic!("expected a config");
        };
        assert_eq!(
            config.target().url().as_str(),
            "wss://api.openai.com/v1/realtime?model=gpt-realtime"
        );
        let EnvConfig::OpenAi(config) = ClientConfig::from_vars(vars(&[
            (env::OPENAI_API_KEY, "sk-1"),
            (env::OPENAI_MODEL, "m2"),
        ]))?
        else {
            panic!("expected OpenAI");
        };
        assert_eq!(
            config.target().url().as_str(),
            "wss://api.openai.com/v1/realtime?model=m2"
        );
        assert!(
            matches!(config.credential(), Credential::BearerKey(key) if key.expose() == "sk-1")
        );
        Ok(())
    }

    #[test]
    fn azure_wins_and_api_version_selects_preview() -> Result<(), Error> {
        let base = [
            (env::OPENAI_API_KEY, "sk-1"),
            (env::AZURE_OPENAI_ENDPOINT, "https://res.openai.azure.com/"),
            (env::AZURE_OPENAI_API_KEY, "az-1"),
            (env::AZURE_OPENAI_DEPLOYMENT, "dep"),
        ];
        let EnvConfig::Azure(ga) = ClientConfig::from_vars(vars(&base))? else {
            panic!("expected Azure");
        };
        assert_eq!(ga.target().kind(), TargetKind::AzureGa);
        assert!(matches!(ga.credential(), Credential::AzureApiKey(key) if key.expose() == "az-1"));

        let mut with_version = base.to_vec();
        with_version.push((env::AZURE_OPENAI_API_VERSION, "2024-10-01-preview"));
        let EnvConfig::Azure(preview) = ClientConfig::from_vars(vars(&with_version))? else {
            panic!("expected Azure");
        };
        assert_eq!(preview.target().kind(), TargetKind::AzurePreview);
        assert_eq!(preview.target().dialect(), rtclient_protocol::Dialect::Beta);
        Ok(())
    }

    #[test]
    fn azure_without_deployment_or_key_is_typed() {
        let missing_deployment = ClientConfig::from_vars(vars(&[
            (env::AZURE_OPENAI_ENDPOINT, "https://res.openai.azure.com"),
            (env::AZURE_OPENAI_API_KEY, "az-1"),
        ]));
        assert!(
            matches!(missing_deployment, Err(Error::MissingEnv { name, .. }) if name == env::AZURE_OPENAI_DEPLOYMENT)
        );
        let missing_key = ClientConfig::from_vars(vars(&[
            (env::AZURE_OPENAI_ENDPOINT, "https://res.openai.azure.com"),
            (env::AZURE_OPENAI_DEPLOYMENT, "dep"),
        ]));
        assert!(
            matches!(missing_key, Err(Error::MissingEnv { name, .. }) if name == env::AZURE_OPENAI_API_KEY)
        );
    }

    #[test]
    fn debug_never_shows_keys() -> Result<(), Error> {
        let config = ClientConfig::from_vars(vars(&[
            (env::AZURE_OPENAI_ENDPOINT, "https://res.openai.azure.com"),
            (env::AZURE_OPENAI_API_KEY, "az-very-secret"),
            (env::AZURE_OPENAI_DEPLOYMENT, "dep"),
        ]))?;
        let text = format!("{config:?}");
        assert!(!text.contains("az-very-secret"), "{text}");
        Ok(())
    }
}
