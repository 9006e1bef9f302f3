//! The handshake: the upgrade request (URL, headers, credential), the connect with its timeout,
//! and the decoding of a refused upgrade into [`Error::Handshake`].

use http::HeaderValue;
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{self, client::IntoClientRequest, protocol::WebSocketConfig},
};
use uuid::Uuid;

use super::{USER_AGENT, tls};
use crate::{config::ClientConfig, error::Error};

/// How much of a refused handshake's body is kept.
const MAX_BODY_BYTES: usize = 4096;

/// The open WebSocket.
pub(super) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Connects and upgrades within the configured connect timeout.
pub(super) async fn open(config: &ClientConfig, request_id: Option<Uuid>) -> Result<Socket, Error> {
    let host = config.target.host_for_errors();
    let request = build_request(config, request_id).await?;
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(config.max_message_size))
        .max_frame_size(Some(config.max_frame_size));
    let connect = tokio_tungstenite::connect_async_tls_with_config(
        request,
        Some(ws_config),
        true,
        tls::connector(&config.root_certificates),
    );
    match tokio::time::timeout(config.connect_timeout, connect).await {
        Err(_elapsed) => Err(Error::ConnectTimeout {
            host,
            timeout: config.connect_timeout,
        }),
        Ok(Err(error)) => Err(connect_error(error, &host)),
        Ok(Ok((socket, _response))) => Ok(socket),
    }
}

/// The upgrade request: URL, `User-Agent`, beta header, Azure request id and credential.
async fn build_request(
    config: &ClientConfig,
    request_id: Option<Uuid>,
) -> Result<http::Request<()>, Error> {
    let target = &config.target;
    let mut request = target
        .url()
        .as_str()
        .into_client_request()
        .map_err(|error| Error::InvalidUrl {
            url: target.redacted_url().to_string(),
            reason: error.to_string(),
        })?;
    let headers = request.headers_mut();
    headers.insert(
        http::header::USER_AGENT,
        HeaderValue::from_static(USER_AGENT),
    );
    if target.sends_beta_header() {
        headers.insert("openai-beta", HeaderValue::from_static("realtime=v1"));
    }
    if let Some(request_id) = request_id {
        let value = HeaderValue::from_str(&request_id.to_string()).map_err(|_| {
            Error::InvalidHeaderValue {
                name: "x-ms-client-request-id",
            }
        })?;
        headers.insert("x-ms-client-request-id", value);
    }
    if let Some((name, secret)) = config.credential.header().await? {
        let mut value = HeaderValue::from_str(secret.expose())
            .map_err(|_| Error::InvalidHeaderValue { name })?;
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    Ok(request)
}

/// Maps a failed connect or upgrade to our error, keeping the server's status and body.
fn connect_error(error: tungstenite::Error, host: &str) -> Error {
    match error {
        tungstenite::Error::Http(response) => {
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let bytes = response.body().as_deref().unwrap_or_default();
            let (code, message) = parse_error_body(bytes);
            let kept = &bytes[..bytes.len().min(MAX_BODY_BYTES)];
            Error::Handshake {
                status,
                code,
                message,
                body: String::from_utf8_lossy(kept).into_owned(),
                retry_after,
            }
        }
        tungstenite::Error::Url(error) => Error::InvalidUrl {
            url: host.to_owned(),
            reason: error.to_string(),
        },
        error => Error::Connect {
            host: host.to_owned(),
            source: Box::new(error),
        },
    }
}

/// `error.code` and `error.message` of a JSON error body (`{"error":{"code","message"}}`).
fn parse_error_body(bytes: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return (None, None);
    };
    let error = &value["error"];
    let code = match &error["code"] {
        serde_json::Value::String(code) => Some(code.clone()),
        serde_json::Value::Number(code) => Some(code.to_string()),
        _ => None,
    };
    let message = error["message"].as_str().map(str::to_owned);
    (code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_parse_azure_and_openai_shapes() {
        let azure = br#"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}"#;
        assert_eq!(
            parse_error_body(azure),
            (
                Some("DeploymentNotFound".to_owned()),
                Some("The API deployment for this resource does not exist.".to_owned())
            )
        );
        assert_eq!(
            parse_error_body(br#"{"error":{"code":429,"message":"slow"}}"#)
                .0
                .as_deref(),
            Some("429")
        );
        assert_eq!(parse_error_body(b"not json"), (None, None));
    }
}
