//! Refused upgrades and unreachable servers.

use rtclient::{ClientConfig, Connection, Credential, Error, Target};

use crate::server::{http_error, listen, refuse, within};

struct Refusal {
    status: u16,
    reason: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
    code: Option<&'static str>,
    message: Option<&'static str>,
    hint_word: &'static str,
}

const REFUSALS: &[Refusal] = &[
    Refusal {
        status: 401,
        reason: "Unauthorized",
        headers: &[("apim-request-id", "0b1e")],
        body: r#"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint."}}"#,
        code: Some("401"),
        message: Some("Access denied due to invalid subscription key or wrong API endpoint."),
        hint_word: "key",
    },
    Refusal {
        status: 403,
        reason: "Forbidden",
        headers: &[],
        body: r#"{"error":{"code":"PermissionDenied","message":"Principal does not have access."}}"#,
        code: Some("PermissionDenied"),
        message: Some("Principal does not have access."),
        hint_word: "key",
    },
    Refusal {
        status: 404,
        reason: "Not Found",
        headers: &[],
        body: r#"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}"#,
        code: Some("DeploymentNotFound"),
        message: Some("The API deployment for this resource does not exist."),
        hint_word: "deployment",
    },
    Refusal {
        status: 429,
        reason: "Too Many Requests",
        headers: &[("retry-after", "7")],
        body: r#"{"error":{"code":"429","message":"Requests to the Realtime API have exceeded the rate limit."}}"#,
        code: Some("429"),
        message: Some("Requests to the Realtime API have exceeded the rate limit."),
        hint_word: "rate limited",
    },
    Refusal {
        status: 400,
        reason: "Bad Request",
        headers: &[],
        body: r#"{"error":{"code":"OpperationNotSupported","message":"The realtime operation does not work with the specified model."}}"#,
        code: Some("OpperationNotSupported"),
        message: Some("The realtime operation does not work with the specified model."),
        hint_word: "deployment",
    },
];

#[tokio::test]
async fn refusals_carry_status_body_code_message_and_hint() {
    for refusal in REFUSALS {
        let (listener, base) = listen().await;
        let config = ClientConfig::builder(Target::azure(&base, "dep").unwrap())
            .credential(Credential::azure_api_key("az-key-secret"))
            .build();
        let response = http_error(
            refusal.status,
            refusal.reason,
            refusal.headers,
            refusal.body,
        );
        let (head, result) = within(async {
            tokio::join!(refuse(&listener, response), Connection::connect(&config))
        })
        .await;
        assert!(
            head.starts_with("GET /openai/v1/realtime?model=dep "),
            "{head}"
        );

        let error = result.expect_err("the upgrade was refused");
        let text = error.to_string();
        match &error {
            Error::Handshake {
                status,
                code,
                message,
                body,
                retry_after,
            } => {
                assert_eq!(*status, refusal.status);
                assert_eq!(code.as_deref(), refusal.code);
                assert_eq!(message.as_deref(), refusal.message);
                assert_eq!(body, refusal.body);
                if refusal.status == 429 {
                    assert_eq!(retry_after.as_deref(), Some("7"));
                    assert!(text.contains("Retry-After: 7"), "{text}");
                } else {
                    assert_eq!(*retry_after, None);
                }
            }
            other => panic!("expected Handshake for {}, got {other:?}", refusal.status),
        }
        assert_eq!(error.http_status(), Some(refusal.status));
        assert!(error.hint().unwrap().contains(refusal.hint_word), "{text}");
        assert!(text.contains(&refusal.status.to_string()), "{text}");
        if let Some(message) = refusal.message {
            assert!(text.contains(message), "{text}");
        }
        assert!(!text.contains("az-key-secret") && !format!("{error:?}").contains("az-key-secret"));
    }
}

#[tokio::test]
async fn non_json_body_is_kept_as_text() {
    let (listener, base) = listen().await;
    let config = ClientConfig::builder(Target::custom(&base).unwrap()).build();
    let response = http_error(502, "Bad Gateway", &[], "upstream down");
    let (_, result) =
        within(async { tokio::join!(refuse(&listener, response), Connection::connect(&config)) })
            .await;
    match result {
        Err(Error::Handshake {
            status: 502,
            code: None,
            message: None,
            body,
            ..
        }) => assert_eq!(body, "upstream down"),
        other => panic!("expected Handshake 502, got {other:?}"),
    }
}

#[tokio::test]
async fn refused_tcp_connect_names_the_host() {
    let (listener, base) = listen().await;
    let address = listener.local_addr().unwrap();
    drop(listener);
    let config = ClientConfig::builder(
        Target::custom(&format!("{base}/v1/realtime?api-key=k-secret")).unwrap(),
    )
    .build();
    let error = within(Connection::connect(&config))
        .await
        .expect_err("nothing listens");
    match &error {
        Error::Connect { host, .. } => assert_eq!(host, &address.to_string()),
        other => panic!("expected Connect, got {other:?}"),
    }
    assert!(!format!("{error} {error:?}").contains("k-secret"));
}

/// The TLS crypto provider is installed: a `wss://` connect to something that is not a TLS server
/// fails with an error instead of panicking.
#[tokio::test]
async fn wss_connect_fails_cleanly_without_tls_server() {
    let (listener, base) = listen().await;
    let wss = base.replace("http://", "wss://");
    let config = ClientConfig::builder(Target::custom(&wss).unwrap()).build();
    let server = async {
        let (stream, _) = listener.accept().await.unwrap();
        drop(stream);
    };
    let (_, result) = within(async { tokio::join!(server, Connection::connect(&config)) }).await;
    assert!(matches!(result, Err(Error::Connect { .. })), "{result:?}");
}
