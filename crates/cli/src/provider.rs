//! Where `send` and `talk` connect: `--provider` and the other connection flags, the process
//! environment and `.env` resolved into a [`Provider`] and a wire dialect, and, when the
//! provider is the built-in local server, that server started for the session.
//!
//! Precedence: flags, then the process environment, then `.env` (current directory or a
//! parent), then the built-in local server. `Debug` is safe to print: keys are held in
//! [`rtclient::Secret`], which leaves them out.

use std::collections::HashMap;
use std::path::Path;

use rtclient::{ClientConfig, Credential, EnvConfig, OpenAiSession, Secret, Target, env};
use rtclient_protocol::Dialect;

use crate::args::{ConnectionArgs, DialectArg};
use crate::engines::EngineArgs;
use crate::exit::CliError;
use crate::local_server::LocalServer;
use crate::printer::Printer;

/// Environment variable holding the bearer key for a server at a custom URL (`--provider URL`,
/// `bench --url`).
const RTCLIENT_API_KEY: &str = "RTCLIENT_API_KEY";

/// Where and how `send` and `talk` connect.
#[derive(Debug)]
pub(crate) struct ConnectionSettings {
    /// Where to connect.
    pub(crate) provider: Provider,
    /// The wire dialect.
    pub(crate) dialect: Dialect,
}

/// Where `send` and `talk` connect.
#[derive(Debug)]
pub(crate) enum Provider {
    /// A remote service (OpenAI, Azure or a URL) with its credential.
    Remote {
        /// `openai`, `azure` or `url`, for messages.
        name: &'static str,
        /// Target, credential and limits (boxed: far larger than the other variant).
        config: Box<ClientConfig>,
    },
    /// The built-in local server, started in-process.
    Local {
        /// The model name to ask for.
        model: String,
        /// Why the local server was chosen (said plainly on stderr).
        reason: LocalReason,
    },
}

/// Why `send` or `talk` uses the built-in local server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LocalReason {
    /// `--provider local`.
    Asked,
    /// No OpenAI or Azure credentials in the environment or `.env`.
    NoCredentials,
}

impl ConnectionSettings {
    /// Resolves the connection flags with variables looked up by `lookup` ([`environment`],
    /// in tests a map).
    pub(crate) fn resolve(
        args: &ConnectionArgs,
        lookup: &impl Fn(&str) -> Option<String>,
    ) -> Result<Self, CliError> {
        let provider = resolve_provider(args, lookup)?;
        let dialect = resolve_dialect(args.dialect, &provider);
        let provider = apply_connection_flags(provider, args, dialect)?;
        Ok(Self { provider, dialect })
    }

    /// The client configuration for the provider, and the built-in local server when that is
    /// the provider (started here with `engines`; stop it when done). Says which provider it
    /// uses.
    pub(crate) async fn resolve_target(
        &self,
        engines: &EngineArgs,
        printer: &Printer,
    ) -> Result<(ClientConfig, Option<LocalServer>), CliError> {
        let dialect = match self.dialect {
            Dialect::Ga => "GA",
            Dialect::Beta => "beta",
        };
        let target = match &self.provider {
            Provider::Remote { name, config } => {
                printer.note(&format!(
                    "provider {name}: {} ({dialect} dialect)",
                    config.target().redacted_url()
                ));
                (ClientConfig::clone(config), None)
            }
            Provider::Local { model, reason } => {
                let local = LocalServer::start(model, engines, printer).await?;
                let why = match reason {
                    LocalReason::Asked => "--provider local",
                    LocalReason::NoCredentials => "no OpenAI/Azure credentials found",
                };
                printer.note(&format!(
                    "{why}: using the built-in local server at {} ({dialect} dialect)",
                    local.url
                ));
                let target = Target::custom(&local.url)?.with_dialect(self.dialect);
                (ClientConfig::builder(target).build(), Some(local))
            }
        };
        Ok(target)
    }
}

/// Variables from the process environment, else from a `.env` file in the current directory
/// or a parent.
pub(crate) fn environment() -> impl Fn(&str) -> Option<String> {
    let dotenv = rtclient_dotenv().unwrap_or_default();
    move |name| {
        std::env::var(name)
            .ok()
            .or_else(|| dotenv.get(name).cloned())
    }
}

/// The credential for a server at a custom URL (`--provider URL`, `bench --url`): a bearer
/// key from [`RTCLIENT_API_KEY`] when it is set, else none.
pub(crate) fn custom_url_credential(lookup: &impl Fn(&str) -> Option<String>) -> Credential {
    // A key for a custom URL is never taken from the provider variables: it could leak
    // an OpenAI or Azure key to a third party. Use RTCLIENT_API_KEY.
    match lookup(RTCLIENT_API_KEY).filter(|k| !k.trim().is_empty()) {
        Some(key) => Credential::BearerKey(Secret::new(key.trim())),
        None => Credential::None,
    }
}

/// The wire dialect: `--dialect`, else the one a remote target implies (beta for an Azure
/// preview endpoint), else GA.
fn resolve_dialect(flag: Option<DialectArg>, provider: &Provider) -> Dialect {
    match (flag, provider) {
        (Some(dialect), _) => Dialect::from(dialect),
        (None, Provider::Remote { config, .. }) if config.target().dialect() == Dialect::Beta => {
            Dialect::Beta
        }
        (None, _) => Dialect::Ga,
    }
}

/// A remote `provider` with `--dialect` (when given) and the certificates of `--ca-cert`
/// applied; any other provider as it is.
fn apply_connection_flags(
    provider: Provider,
    args: &ConnectionArgs,
    dialect: Dialect,
) -> Result<Provider, CliError> {
    let provider = match provider {
        Provider::Remote { name, config } if args.dialect.is_some() => Provider::Remote {
            name,
            config: Box::new(rebuild_with_dialect(*config, dialect)),
        },
        other => other,
    };
    match (provider, &args.ca_cert) {
        (Provider::Remote { name, config }, Some(ca_cert)) => Ok(Provider::Remote {
            name,
            config: Box::new(trust(*config, ca_cert)?),
        }),
        (other, _) => Ok(other),
    }
}

/// The variables of a `.env` file in the current directory or a parent, read the way
/// [`ClientConfig::from_env`] reads them (the process environment is not modified).
fn rtclient_dotenv() -> Option<HashMap<String, String>> {
    let iter = dotenvy::dotenv_iter().ok()?;
    Some(iter.filter_map(Result::ok).collect())
}

/// Where to connect: `--provider` (`local`, `openai`, `azure` or a URL), else OpenAI or
/// Azure when the environment has their credentials, else the built-in local server.
fn resolve_provider(
    args: &ConnectionArgs,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Provider, CliError> {
    let overlay = |name: &str| flag_or_lookup(args, lookup, name);
    match args.provider.as_deref().map(str::trim) {
        Some("local") => Ok(Provider::Local {
            model: local_model(args),
            reason: LocalReason::Asked,
        }),
        Some("openai") => openai_provider(args, &overlay),
        Some("azure") => azure_provider(&overlay),
        Some(url) if url.contains("://") => custom_provider(url, lookup),
        Some(other) => Err(CliError::usage(format!("unknown provider `{other}`"))
            .hint("use --provider openai, azure, local, or a ws:// / wss:// URL")),
        None => match ClientConfig::from_vars(overlay)? {
            EnvConfig::OpenAi(config) => Ok(Provider::Remote {
                name: "openai",
                config: Box::new(config),
            }),
            EnvConfig::Azure(config) => Ok(Provider::Remote {
                name: "azure",
                config: Box::new(config),
            }),
            _ => Ok(Provider::Local {
                model: local_model(args),
                reason: LocalReason::NoCredentials,
            }),
        },
    }
}

/// The model the built-in local server announces: `--model`, else the default OpenAI model.
fn local_model(args: &ConnectionArgs) -> String {
    args.model
        .clone()
        .unwrap_or_else(|| env::DEFAULT_OPENAI_MODEL.to_owned())
}

/// The variable `name`, from its flag when one was given (flags override their environment
/// variables), else from `lookup`.
fn flag_or_lookup(
    args: &ConnectionArgs,
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> Option<String> {
    let flag = match name {
        env::OPENAI_MODEL => args.model.clone(),
        env::AZURE_OPENAI_DEPLOYMENT => args.deployment.clone(),
        env::AZURE_OPENAI_API_VERSION => args.api_version.clone(),
        env::AZURE_OPENAI_ENDPOINT => args
            .endpoint
            .clone()
            .filter(|_| args.provider.as_deref() == Some("azure")),
        _ => None,
    };
    flag.or_else(|| lookup(name))
}

/// `--provider openai`: its key and model from `overlay`, at `--endpoint` if given.
fn openai_provider(
    args: &ConnectionArgs,
    overlay: &impl Fn(&str) -> Option<String>,
) -> Result<Provider, CliError> {
    let key = overlay(env::OPENAI_API_KEY)
        .filter(|key| !key.trim().is_empty())
        .ok_or_else(|| {
            CliError::usage("--provider openai needs an API key, and OPENAI_API_KEY is not set")
                .hint("export OPENAI_API_KEY=... or put it in a .env file")
        })?;
    let model = overlay(env::OPENAI_MODEL).unwrap_or_else(|| env::DEFAULT_OPENAI_MODEL.to_owned());
    let session = OpenAiSession::model(model.trim());
    let target = match &args.endpoint {
        Some(endpoint) => Target::openai_at(endpoint, session)?,
        None => Target::openai(session),
    };
    let config = ClientConfig::builder(target)
        .credential(Credential::BearerKey(Secret::new(key.trim())))
        .build();
    Ok(Provider::Remote {
        name: "openai",
        config: Box::new(config),
    })
}

/// `--provider azure`: the Azure settings from `overlay`, which must be complete.
fn azure_provider(overlay: &impl Fn(&str) -> Option<String>) -> Result<Provider, CliError> {
    if overlay(env::AZURE_OPENAI_ENDPOINT).is_none() {
        return Err(CliError::usage(
            "--provider azure needs an endpoint, and AZURE_OPENAI_ENDPOINT is not set",
        )
        .hint("set AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY and AZURE_OPENAI_DEPLOYMENT, or pass --endpoint and --deployment"));
    }
    match ClientConfig::from_vars(overlay)? {
        EnvConfig::Azure(config) => Ok(Provider::Remote {
            name: "azure",
            config: Box::new(config),
        }),
        _ => Err(CliError::usage("the Azure settings are incomplete")
            .hint("set AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_API_KEY and AZURE_OPENAI_DEPLOYMENT")),
    }
}

/// `--provider URL`: a custom server, with the key of [`RTCLIENT_API_KEY`] if set.
fn custom_provider(
    url: &str,
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Provider, CliError> {
    let target = Target::custom(url)?;
    let credential = custom_url_credential(lookup);
    Ok(Provider::Remote {
        name: "url",
        config: Box::new(ClientConfig::builder(target).credential(credential).build()),
    })
}

fn rebuild_with_dialect(config: ClientConfig, dialect: Dialect) -> ClientConfig {
    let target = config.target().clone().with_dialect(dialect);
    config.into_builder().target(target).build()
}

/// `config`, also trusting the certificates of `--ca-cert`.
fn trust(config: ClientConfig, ca_cert: &Path) -> Result<ClientConfig, CliError> {
    let builder = config
        .into_builder()
        .add_root_certificates_pem_file(ca_cert)
        .map_err(|e| {
            CliError::usage("invalid --ca-cert")
                .caused_by(&e)
                .hint("give a PEM file of the certificates to trust")
        })?;
    Ok(builder.build())
}
