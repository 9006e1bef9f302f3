//! The network layer: accepting connections, TLS, authentication, limits, the routes and their
//! requests, one WebSocket from upgrade to close, and the refusals sent before a session starts.

pub mod auth;
pub mod config;
pub mod connection;
pub mod endpoint;
pub(crate) mod limits;
pub mod refusal;
pub(crate) mod serve;
pub mod tls;
