//! `wss://`: a certificate made at test time, real TLS handshakes over 127.0.0.1.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use rtclient_server::{HANDSHAKE_TIMEOUT, Tls, TlsError};
use rtclient_server::{Serve, ServerConfig, ServerState};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_tungstenite::tungstenite::Message;

/// A self-signed certificate for `localhost` and 127.0.0.1, written as PEM files in `dir`.
fn certificate(
    dir: &std::path::Path,
) -> (
    std::path::PathBuf,
    std::path::PathBuf,
    CertificateDer<'static>,
) {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    (cert_path, key_path, cert.cert.der().clone())
}

async fn start_tls(tls: Tls) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let serve = Serve::new(listener, ServerState::new(ServerConfig::default())).tls(tls);
    let addr = serve.local_addr().unwrap();
    tokio::spawn(serve.into_future());
    addr
}

/// Opens `wss://addr/v1/realtime` trusting only `root`, and returns the first event.
async fn first_event(
    addr: std::net::SocketAddr,
    root: &CertificateDer<'static>,
) -> serde_json::Value {
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.add(root.clone()).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let url = format!(
        "wss://localhost:{}/v1/realtime?model=gpt-realtime",
        addr.port()
    );
    let (mut ws, _) = tokio_tungstenite::client_async(url, tls).await.unwrap();
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap()
        {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(text.as_str()).unwrap(),
            Some(Ok(_)) => {}
            other => panic!("no event: {other:?}"),
        }
    }
}

#[tokio::test]
async fn sessions_run_over_wss() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, root) = certificate(dir.path());
    let addr = start_tls(Tls::from_pem_files(&cert, &key).unwrap()).await;
    let created = first_event(addr, &root).await;
    assert_eq!(created["type"], "session.created");
    assert_eq!(created["session"]["model"], "gpt-realtime");
}

#[tokio::test]
async fn silent_or_plain_clients_do_not_hold_up_tls_clients() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, root) = certificate(dir.path());
    let addr = start_tls(Tls::from_pem_files(&cert, &key).unwrap()).await;
    // One client connects and says nothing; another speaks plain HTTP to the TLS port.
    let _silent = TcpStream::connect(addr).await.unwrap();
    let mut plain = TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"GET /v1/realtime HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    // A TLS client is still served, well before a silent handshake would time out (handshakes
    // taken one at a time would make it wait for the silent one's HANDSHAKE_TIMEOUT).
    let created = tokio::time::timeout(HANDSHAKE_TIMEOUT / 2, first_event(addr, &root))
        .await
        .expect("served while another handshake hangs");
    assert_eq!(created["type"], "session.created");
}

#[test]
fn bad_pem_files_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _) = certificate(dir.path());
    let missing = dir.path().join("nope.pem");
    let error = Tls::from_pem_files(&missing, &key).unwrap_err();
    assert!(
        matches!(
            error,
            TlsError::Pem {
                what: "certificate",
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("nope.pem"), "{error}");
    // A certificate where the key should be.
    let error = Tls::from_pem_files(&cert, &cert).unwrap_err();
    assert!(error.to_string().contains("private key"), "{error}");
    // A key of another certificate.
    let other = tempfile::tempdir().unwrap();
    let (_, other_key, _) = certificate(other.path());
    let error = Tls::from_pem_files(&cert, &other_key).unwrap_err();
    assert!(matches!(error, TlsError::Config(_)), "{error}");
}
