//! Server settings: where to listen, authentication, the beta switch and the limits.
//!
//! Build a [`ServerConfig`] with [`ServerConfig::builder`]; every setting has a documented
//! default, and [`ServerConfigBuilder::build`] checks them all once.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use crate::net::auth::ApiKey;

/// Default listen address: loopback, port 8765.
pub const DEFAULT_LISTEN_ADDR: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8765));

/// Default largest WebSocket message (and frame) accepted from a client: 16 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 << 20;

/// Bytes of output a connection writes to its socket at a time: smaller writes are gathered
/// up to this size first (tungstenite's default, 128 KiB).
pub const WRITE_BUFFER_SIZE: usize = 128 << 10;

/// Default most unsent output one connection may hold: 32 MiB, twice the largest message.
///
/// Output only piles up when the client stops reading; a client that floods pings and never
/// reads the pongs fills it too. Once it is full the server drops the connection.
pub const DEFAULT_MAX_WRITE_BUFFER_SIZE: usize = 32 << 20;

/// Default number of connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// Default session length before the server closes with 1001, as OpenAI GA does: 60 minutes.
pub const DEFAULT_MAX_SESSION_DURATION: Duration = Duration::from_secs(60 * 60);

/// Default interval between server WebSocket pings, as OpenAI does: 20 seconds.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(20);

/// Default time the server waits for the client's close frame after sending its own: 5 seconds.
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time a client has, from accept, to send its whole request head.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// A setting that [`ServerConfigBuilder::build`] refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The API key is empty or holds characters a header or subprotocol token cannot carry.
    #[error("the API key must be non-empty visible ASCII without separators")]
    MalformedApiKey,
    /// A limit that must be positive is zero.
    #[error("`{0}` must be greater than zero")]
    Zero(&'static str),
    /// `max_write_buffer_size` does not exceed the size of one socket write.
    #[error("`max_write_buffer_size` must be at least {min}")]
    WriteBufferTooSmall {
        /// The smallest accepted value.
        min: usize,
    },
    /// `max_connections` exceeds what the server can count.
    #[error("`max_connections` must be at most {max}")]
    TooManyConnections {
        /// The largest accepted value.
        max: usize,
    },
}

/// The validated settings of a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    listen_addr: SocketAddr,
    api_key: Option<ApiKey>,
    refuse_beta: bool,
    max_message_size: usize,
    max_frame_size: usize,
    max_write_buffer_size: usize,
    max_connections: usize,
    max_session_duration: Duration,
    ping_interval: Duration,
    close_timeout: Duration,
    header_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen_addr: DEFAULT_LISTEN_ADDR,
            api_key: None,
            refuse_beta: false,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_frame_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_write_buffer_size: DEFAULT_MAX_WRITE_BUFFER_SIZE,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_session_duration: DEFAULT_MAX_SESSION_DURATION,
            ping_interval: DEFAULT_PING_INTERVAL,
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
        }
    }
}

impl ServerConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> ServerConfigBuilder {
        ServerConfigBuilder {
            config: Self::default(),
        }
    }

    /// The address to bind (the caller binds it; [`crate::serve`] takes a bound listener).
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen_addr
    }

    /// The API key clients must present, if auth is on.
    pub fn api_key(&self) -> Option<&ApiKey> {
        self.api_key.as_ref()
    }

    /// Whether beta-shaped connections are refused like OpenAI does since 2026-05.
    pub fn refuse_beta(&self) -> bool {
        self.refuse_beta
    }

    /// The largest message accepted from a client, in bytes.
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// The largest single frame accepted from a client, in bytes.
    pub fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// The most unsent output one connection may hold, in bytes.
    pub fn max_write_buffer_size(&self) -> usize {
        self.max_write_buffer_size
    }

    /// How many connections are served at once.
    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

    /// How long a session may last before the server closes it with 1001.
    pub fn max_session_duration(&self) -> Duration {
        self.max_session_duration
    }

    /// The interval between server pings.
    pub fn ping_interval(&self) -> Duration {
        self.ping_interval
    }

    /// How long the server waits for the client's close frame after sending its own.
    pub fn close_timeout(&self) -> Duration {
        self.close_timeout
    }

    /// How long a client has, from accept, to send its request head before it is dropped.
    pub fn header_timeout(&self) -> Duration {
        self.header_timeout
    }
}

/// Builds a [`ServerConfig`]; each setter documents its default.
#[derive(Debug, Clone)]
pub struct ServerConfigBuilder {
    config: ServerConfig,
}

impl ServerConfigBuilder {
    /// The address to listen on. Default: [`DEFAULT_LISTEN_ADDR`] (`127.0.0.1:8765`).
    pub fn listen_addr(mut self, addr: SocketAddr) -> Self {
        self.config.listen_addr = addr;
        self
    }

    /// Require this API key from every client. Default: none (auth off).
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.config.api_key = Some(key);
        self
    }

    /// Refuse beta-shaped connections with `beta_api_shape_disabled` and close 4000, as OpenAI
    /// does today. Default: `false` (beta is served).
    pub fn refuse_beta(mut self, refuse: bool) -> Self {
        self.config.refuse_beta = refuse;
        self
    }

    /// The largest message accepted from a client; larger ones close the connection with 1009.
    /// Default: [`DEFAULT_MAX_MESSAGE_SIZE`] (16 MiB).
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.config.max_message_size = bytes;
        self
    }

    /// The largest single frame accepted from a client; larger ones close with 1009.
    /// Default: [`DEFAULT_MAX_MESSAGE_SIZE`] (16 MiB).
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.config.max_frame_size = bytes;
        self
    }

    /// The most unsent output one connection may hold, in bytes: output only piles up while a
    /// client does not read (a ping flood whose pongs are never read fills it too), and a
    /// connection whose output is full is dropped. It must be larger than [`WRITE_BUFFER_SIZE`]
    /// and than the largest event the server sends.
    /// Default: [`DEFAULT_MAX_WRITE_BUFFER_SIZE`] (32 MiB).
    pub fn max_write_buffer_size(mut self, bytes: usize) -> Self {
        self.config.max_write_buffer_size = bytes;
        self
    }

    /// How many connections are served at once, counted from accept (so half-open and
    /// still-handshaking connections count too); more are answered HTTP 503.
    /// Default: [`DEFAULT_MAX_CONNECTIONS`] (1024).
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.config.max_connections = connections;
        self
    }

    /// How long a session may last before the server closes it with 1001 ("Your session hit
    /// the maximum duration of 60 minutes."). Default: [`DEFAULT_MAX_SESSION_DURATION`].
    pub fn max_session_duration(mut self, duration: Duration) -> Self {
        self.config.max_session_duration = duration;
        self
    }

    /// The interval between server pings. Default: [`DEFAULT_PING_INTERVAL`] (20 s).
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.config.ping_interval = interval;
        self
    }

    /// How long to wait for the client's close frame after the server sent its own.
    /// Default: [`DEFAULT_CLOSE_TIMEOUT`] (5 s).
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.config.close_timeout = timeout;
        self
    }

    /// How long a client has, from the moment its connection is accepted, to send the whole
    /// request head; slower ones are dropped, so they cannot hold connection slots.
    /// Default: [`DEFAULT_HEADER_TIMEOUT`] (5 s).
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.config.header_timeout = timeout;
        self
    }

    /// Checks every setting and returns the configuration.
    pub fn build(self) -> Result<ServerConfig, ConfigError> {
        let config = self.config;
        if let Some(key) = &config.api_key
            && !key.is_well_formed()
        {
            return Err(ConfigError::MalformedApiKey);
        }
        let sizes = [
            ("max_message_size", config.max_message_size),
            ("max_frame_size", config.max_frame_size),
            ("max_connections", config.max_connections),
        ];
        if let Some((name, _)) = sizes.iter().find(|(_, value)| *value == 0) {
            return Err(ConfigError::Zero(name));
        }
        let durations = [
            ("max_session_duration", config.max_session_duration),
            ("ping_interval", config.ping_interval),
            ("close_timeout", config.close_timeout),
            ("header_timeout", config.header_timeout),
        ];
        if let Some((name, _)) = durations.iter().find(|(_, value)| value.is_zero()) {
            return Err(ConfigError::Zero(name));
        }
        if config.max_write_buffer_size <= WRITE_BUFFER_SIZE {
            return Err(ConfigError::WriteBufferTooSmall {
                min: WRITE_BUFFER_SIZE + 1,
            });
        }
        let max = MAX_CONNECTIONS_LIMIT;
        if config.max_connections > max {
            return Err(ConfigError::TooManyConnections { max });
        }
        Ok(config)
    }
}

/// The most connections the server can count (what its connection gate can track).
const MAX_CONNECTIONS_LIMIT: usize = 1 << 24;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let config = ServerConfig::builder().build().unwrap();
        assert_eq!(config.listen_addr().to_string(), "127.0.0.1:8765");
        assert!(config.api_key().is_none());
        assert!(!config.refuse_beta());
        assert_eq!(config.max_message_size(), 16 * 1024 * 1024);
        assert_eq!(config.max_frame_size(), 16 * 1024 * 1024);
        assert_eq!(config.max_write_buffer_size(), 32 * 1024 * 1024);
        assert_eq!(config.max_connections(), 1024);
        assert_eq!(config.max_session_duration(), Duration::from_secs(3600));
        assert_eq!(config.ping_interval(), Duration::from_secs(20));
    }

    #[test]
    fn build_rejects_bad_settings() {
        let bad_key = ServerConfig::builder().api_key(ApiKey::new("")).build();
        assert_eq!(bad_key.unwrap_err(), ConfigError::MalformedApiKey);
        let zero = ServerConfig::builder().max_connections(0).build();
        assert_eq!(zero.unwrap_err(), ConfigError::Zero("max_connections"));
        let zero = ServerConfig::builder()
            .ping_interval(Duration::ZERO)
            .build();
        assert_eq!(zero.unwrap_err(), ConfigError::Zero("ping_interval"));
        let small = ServerConfig::builder().max_write_buffer_size(4096).build();
        assert_eq!(
            small.unwrap_err(),
            ConfigError::WriteBufferTooSmall {
                min: 128 * 1024 + 1
            }
        );
        let many = ServerConfig::builder().max_connections(usize::MAX).build();
        assert!(matches!(many, Err(ConfigError::TooManyConnections { .. })));
    }

    #[test]
    fn debug_hides_the_key() {
        let config = ServerConfig::builder()
            .api_key(ApiKey::new("sk-secret-value"))
            .build()
            .unwrap();
        assert!(!format!("{config:?}").contains("sk-secret-value"));
    }
}
