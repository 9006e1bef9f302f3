//! Names of the environment variables the client reads, in one place.
//!
//! They are the names of the Azure OpenAI Realtime samples, also read from a `.env` file in the
//! current directory (or a parent), with real environment variables taking precedence. See
//! [`ClientConfig::from_env`](crate::ClientConfig::from_env).

/// OpenAI API key; selects the OpenAI target when no Azure endpoint is set.
pub const OPENAI_API_KEY: &str = "OPENAI_API_KEY";
/// OpenAI model; defaults to [`DEFAULT_OPENAI_MODEL`].
pub const OPENAI_MODEL: &str = "OPENAI_MODEL";
/// Azure OpenAI resource endpoint, e.g. `https://RES.openai.azure.com`; selects Azure.
pub const AZURE_OPENAI_ENDPOINT: &str = "AZURE_OPENAI_ENDPOINT";
/// Azure OpenAI key (`api-key` header).
pub const AZURE_OPENAI_API_KEY: &str = "AZURE_OPENAI_API_KEY";
/// Azure OpenAI deployment name; required with an Azure endpoint.
pub const AZURE_OPENAI_DEPLOYMENT: &str = "AZURE_OPENAI_DEPLOYMENT";
/// Azure OpenAI api-version; when set, the preview URL (`/openai/realtime?api-version=`) and the
/// beta dialect are used, otherwise Azure GA (`/openai/v1/realtime`).
pub const AZURE_OPENAI_API_VERSION: &str = "AZURE_OPENAI_API_VERSION";

/// The model used when [`OPENAI_MODEL`] is not set.
pub const DEFAULT_OPENAI_MODEL: &str = "gpt-realtime";
