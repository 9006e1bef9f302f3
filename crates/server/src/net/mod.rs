//! The network layer: accepting connections, TLS, authentication, limits, the routes and their
//! requests, one WebSocket from upgrade to close, and the refusals sent before a session starts.

pub(crate) mod auth;
pub(crate) mod config;
pub(crate) mod connection;
pub(crate) mod endpoint;
pub(crate) mod limits;
pub(crate) mod refusal;
pub(crate) mod serve;
pub(crate) mod tls;
