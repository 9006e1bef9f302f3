//! Credentials: API keys and bearer tokens, including tokens fetched anew on every connect.

use std::{fmt, future::Future, pin::Pin, process::Stdio, sync::Arc};

use crate::{error::Error, secret::Secret};

/// The future a [`TokenProvider`] returns.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<Secret, Error>> + Send + 'a>>;

/// Supplies a bearer token (e.g. a Microsoft Entra ID access token or an OpenAI ephemeral key).
///
/// The connection asks again on every connect, so a provider that fetches fresh tokens keeps
/// reconnects working after the previous token expired. Errors from your own provider go into
/// [`Error::TokenProvider`].
///
/// ```
/// use rtclient::{Credential, Error, Secret, TokenFuture, TokenProvider};
///
/// struct FromVault;
///
/// impl TokenProvider for FromVault {
///     fn token(&self) -> TokenFuture<'_> {
///         Box::pin(async {
///             let token = std::env::var("MY_TOKEN").map_err(|e| Error::TokenProvider { source: e.into() })?;
///             Ok(Secret::new(token))
///         })
///     }
/// }
///
/// let credential = Credential::token(FromVault);
/// ```
pub trait TokenProvider: Send + Sync {
    /// Returns the token to send as `Authorization: Bearer <token>`.
    fn token(&self) -> TokenFuture<'_>;
}

/// How the client authenticates.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Credential {
    /// No authentication header (local servers).
    #[default]
    None,
    /// `Authorization: Bearer <key>`: an OpenAI API key or ephemeral key, or a fixed token.
    BearerKey(Secret),
    /// `api-key: <key>`: an Azure OpenAI key.
    AzureApiKey(Secret),
    /// `Authorization: Bearer <token>` with the token asked from the provider on every connect.
    Token(Arc<dyn TokenProvider>),
}

impl Credential {
    /// `Authorization: Bearer <key>`.
    pub fn bearer_key(key: impl Into<Secret>) -> Self {
        Self::BearerKey(key.into())
    }

    /// `api-key: <key>`.
    pub fn azure_api_key(key: impl Into<Secret>) -> Self {
        Self::AzureApiKey(key.into())
    }

    /// A bearer token from `provider`, asked on every connect.
    pub fn token(provider: impl TokenProvider + 'static) -> Self {
        Self::Token(Arc::new(provider))
    }

    /// The header name and value to send, fetching a token if needed.
    pub(crate) async fn header(&self) -> Result<Option<(&'static str, Secret)>, Error> {
        Ok(match self {
            Credential::None => None,
            Credential::BearerKey(key) => Some(("authorization", bearer(key))),
            Credential::AzureApiKey(key) => Some(("api-key", key.clone())),
            Credential::Token(provider) => {
                Some(("authorization", bearer(&provider.token().await?)))
            }
        })
    }
}

fn bearer(token: &Secret) -> Secret {
    Secret::new(format!("Bearer {}", token.expose()))
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys are printed through `Secret`, which hides them.
        match self {
            Credential::None => f.write_str("None"),
            Credential::BearerKey(key) => f.debug_tuple("BearerKey").field(key).finish(),
            Credential::AzureApiKey(key) => f.debug_tuple("AzureApiKey").field(key).finish(),
            Credential::Token(_) => f.debug_tuple("Token").field(&"<provider>").finish(),
        }
    }
}

/// A provider that always returns the same token.
#[derive(Debug, Clone)]
pub struct StaticToken(Secret);

impl StaticToken {
    /// Wraps a fixed token.
    pub fn new(token: impl Into<Secret>) -> Self {
        Self(token.into())
    }
}

impl TokenProvider for StaticToken {
    fn token(&self) -> TokenFuture<'_> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
}

/// The Azure CLI command line that prints an Entra ID token for Azure OpenAI.
pub const AZURE_CLI_TOKEN_COMMAND: &str = "az account get-access-token --resource https://cognitiveservices.azure.com --query accessToken -o tsv";

/// A provider that runs a command and uses its trimmed stdout as the token, on every connect.
///
/// ```
/// use rtclient::CommandToken;
///
/// let provider = CommandToken::azure_cli();
/// assert_eq!(provider.program(), "az");
/// ```
#[derive(Debug, Clone)]
pub struct CommandToken {
    program: String,
    args: Vec<String>,
}

impl CommandToken {
    /// Runs `program` with `args` (no shell is involved).
    pub fn new(
        program: impl Into<String>,
        args: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
        }
    }

    /// Splits `command_line` on whitespace (no quoting) into program and arguments. Returns
    /// `None` for an empty line.
    pub fn from_command_line(command_line: &str) -> Option<Self> {
        let mut words = command_line.split_whitespace();
        let program = words.next()?;
        Some(Self::new(program, words))
    }

    /// `az account get-access-token --resource https://cognitiveservices.azure.com --query accessToken -o tsv`.
    pub fn azure_cli() -> Self {
        let mut words = AZURE_CLI_TOKEN_COMMAND.split_whitespace();
        let program = words.next().unwrap_or("az");
        Self::new(program, words)
    }

    /// The program that is run.
    pub fn program(&self) -> &str {
        &self.program
    }

    fn command_line(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    async fn run(&self) -> Result<Secret, Error> {
        let output = tokio::process::Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|source| Error::TokenCommandSpawn {
                command: self.command_line(),
                source,
            })?;
        if !output.status.success() {
            return Err(Error::TokenCommandFailed {
                command: self.command_line(),
                status: output.status.to_string(),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        let token = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if token.is_empty() {
            return Err(Error::TokenEmpty {
                command: self.command_line(),
            });
        }
        Ok(Secret::new(token))
    }
}

impl TokenProvider for CommandToken {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(self.run())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn command_token_trims_stdout() -> Result<(), Error> {
        let token = CommandToken::new("echo", ["  tok-123  "]).token().await?;
        assert_eq!(token.expose(), "tok-123");
        Ok(())
    }

    #[tokio::test]
    async fn failing_command_reports_stderr() {
        let provider = CommandToken::new("sh", ["-c", "echo 'not logged in' >&2; exit 3"]);
        match provider.token().await {
            Err(Error::TokenCommandFailed {
                stderr,
                status,
                command,
            }) => {
                assert_eq!(stderr, "not logged in");
                assert!(status.contains('3'), "{status}");
                assert!(command.starts_with("sh -c"), "{command}");
            }
            other => panic!("expected TokenCommandFailed, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn missing_program_and_empty_output_are_typed() {
        let missing = CommandToken::new("rtclient-no-such-program", Vec::<String>::new());
        assert!(matches!(
            missing.token().await,
            Err(Error::TokenCommandSpawn { .. })
        ));
        let empty = CommandToken::new("true", Vec::<String>::new());
        assert!(matches!(empty.token().await, Err(Error::TokenEmpty { .. })));
    }

    #[test]
    fn command_line_splits() {
        let provider = CommandToken::from_command_line(AZURE_CLI_TOKEN_COMMAND);
        assert_eq!(provider.map(|p| p.args.len()), Some(8));
        assert!(CommandToken::from_command_line("   ").is_none());
    }

    #[test]
    fn debug_hides_keys() {
        let text = format!("{:?}", Credential::azure_api_key("az-secret-key"));
        assert!(!text.contains("az-secret-key"), "{text}");
    }
}
