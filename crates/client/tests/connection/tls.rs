//! `wss://` to a server with a self-signed certificate (the real local server, over TLS): refused
//! by the public roots, accepted once the certificate is trusted.

use std::error::Error as _;

use rtclient::{ClientConfig, Error, RealtimeClient, ServerEvent, Target};
use rtclient_server::Tls;
use rtclient_server::{Serve, ServerConfig, ServerState};
use tokio::net::TcpListener;

/// A TLS server for `localhost` and the PEM file of its certificate.
async fn tls_server(dir: &std::path::Path) -> (Target, std::path::PathBuf) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let serve = Serve::new(listener, ServerState::new(ServerConfig::default()))
        .tls(Tls::from_pem_files(&cert, &key).unwrap());
    let port = serve.local_addr().unwrap().port();
    tokio::spawn(serve.into_future());
    let url = format!("wss://localhost:{port}/v1/realtime?model=gpt-realtime");
    (Target::custom(&url).unwrap(), cert)
}

#[tokio::test]
async fn a_self_signed_server_is_refused_until_its_certificate_is_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let (target, cert) = tls_server(dir.path()).await;

    let untrusted = ClientConfig::builder(target.clone()).build();
    let error = RealtimeClient::connect(&untrusted).await.unwrap_err();
    assert!(matches!(error, Error::Connect { .. }), "{error}");
    let cause = error.source().map(ToString::to_string).unwrap_or_default();
    assert!(cause.contains("UnknownIssuer"), "{cause}");

    let trusted = ClientConfig::builder(target)
        .add_root_certificates_pem_file(&cert)
        .unwrap()
        .build();
    assert_eq!(trusted.root_certificates().len(), 1);
    let mut client = RealtimeClient::connect(&trusted).await.unwrap();
    match client.recv().await.unwrap() {
        Some(ServerEvent::SessionCreated(created)) => {
            assert_eq!(created.session.model.as_deref(), Some("gpt-realtime"));
        }
        other => panic!("expected session.created, got {other:?}"),
    }
}

#[test]
fn an_unreadable_certificate_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("notes.txt");
    std::fs::write(&not_pem, "hello").unwrap();
    let target = Target::custom("wss://localhost:1/v1/realtime").unwrap();
    for path in [dir.path().join("missing.pem"), not_pem] {
        let error = ClientConfig::builder(target.clone())
            .add_root_certificates_pem_file(&path)
            .unwrap_err();
        assert!(matches!(error, Error::Certificate { .. }), "{error}");
        assert!(
            error.to_string().contains(&path.display().to_string()),
            "{error}"
        );
    }
}
