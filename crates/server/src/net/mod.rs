//! The network layer: accepting connections, TLS, authentication, limits, the routes and their
//! requests, one WebSocket from upgrade to close, the refusals sent before a session starts,
//! and the trait a session implements to run behind it.

pub(crate) mod auth;
pub(crate) mod config;
pub(crate) mod connection;
pub(crate) mod endpoint;
pub(crate) mod handler;
pub(crate) mod limits;
pub(crate) mod refusal;
pub(crate) mod tls;
