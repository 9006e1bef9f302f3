//! With an API key configured: every credential form is accepted; missing or wrong credentials
//! get an `error` event then close 3000 on OpenAI's route and HTTP 401 before the upgrade on
//! Azure's, and the presented key is never echoed.

use rtclient_server::{ApiKey, ServerConfig};

use crate::testutil::{dial, expect_refusal, http_error, next_json, start};

const KEY: &str = "sk-local-secret-123";
const WRONG: &str = "sk-wrong-guess-456";

/// A connection attempt: path and query, headers, offered subprotocols.
type Attempt<'a> = (String, Vec<(&'static str, &'a str)>, Vec<&'a str>);

#[tokio::test]
async fn every_credential_form_is_accepted() {
    let server = start(ServerConfig::builder().api_key(ApiKey::new(KEY))).await;
    let bearer = format!("Bearer {KEY}");
    let key_protocol = format!("openai-insecure-api-key.{KEY}");
    let accepted: Vec<Attempt<'_>> = vec![
        (
            "/v1/realtime?model=m".into(),
            vec![("authorization", bearer.as_str())],
            vec![],
        ),
        (
            "/openai/v1/realtime?model=d".into(),
            vec![("api-key", KEY)],
            vec![],
        ),
        (
            "/openai/realtime?api-version=2025-04-01-preview&deployment=d".into(),
            vec![("api-key", KEY), ("openai-beta", "realtime=v1")],
            vec![],
        ),
        (
            format!("/openai/v1/realtime?model=d&api-key={KEY}"),
            vec![],
            vec![],
        ),
        (
            "/v1/realtime?model=m".into(),
            vec![],
            vec!["realtime", key_protocol.as_str()],
        ),
        (
            "/v1/realtime?model=m".into(),
            vec![],
            vec!["realtime", "openai-beta.realtime-v1", key_protocol.as_str()],
        ),
    ];
    for (path, headers, protocols) in accepted {
        let (mut client, response) = dial(&server.url(&path), &headers, &protocols)
            .await
            .unwrap();
        let report = next_json(&mut client).await;
        assert!(report.get("route").is_some(), "{path}: {report}");
        if protocols.contains(&"realtime") {
            // Browser style: the server answers `realtime`, never the key protocol.
            assert_eq!(
                response.headers()["sec-websocket-protocol"],
                "realtime",
                "{path}"
            );
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn wrong_keys_are_refused_with_3000_without_echo() {
    let server = start(ServerConfig::builder().api_key(ApiKey::new(KEY))).await;
    let bearer = format!("Bearer {WRONG}");
    let key_protocol = format!("openai-insecure-api-key.{WRONG}");
    let refused: Vec<Attempt<'_>> = vec![
        (
            "/v1/realtime?model=m".into(),
            vec![("authorization", bearer.as_str())],
            vec![],
        ),
        (
            "/v1/realtime?model=m".into(),
            vec![],
            vec!["realtime", key_protocol.as_str()],
        ),
        // A wrong key is refused before a request-shape problem is looked at.
        (
            "/v1/realtime".into(),
            vec![("authorization", bearer.as_str())],
            vec![],
        ),
    ];
    for (path, headers, protocols) in refused {
        let (mut client, _) = dial(&server.url(&path), &headers, &protocols)
            .await
            .unwrap();
        let (event, code, reason, raw) = expect_refusal(&mut client).await;
        assert_eq!(event["error"]["type"], "invalid_request_error", "{path}");
        assert_eq!(event["error"]["code"], "invalid_api_key", "{path}");
        assert_eq!(code, 3000, "{path}");
        assert_eq!(reason, "invalid_request_error.invalid_api_key", "{path}");
        assert!(!raw.contains(WRONG) && !raw.contains(KEY), "{raw}");
        assert!(!reason.contains(WRONG));
    }
    server.stop().await;
}

#[tokio::test]
async fn missing_credentials_are_refused_with_3000() {
    let server = start(ServerConfig::builder().api_key(ApiKey::new(KEY))).await;
    for (headers, protocols) in [
        (vec![], vec![]),
        (vec![], vec!["realtime"]),
        (vec![("authorization", "Basic dXNlcjpwYXNz")], vec![]),
    ] {
        let (mut client, _) = dial(&server.url("/v1/realtime?model=m"), &headers, &protocols)
            .await
            .unwrap();
        let (event, code, reason, _) = expect_refusal(&mut client).await;
        assert_eq!(event["error"]["type"], "invalid_request_error");
        assert!(event["error"]["code"].is_null(), "{event}");
        assert_eq!(code, 3000);
        assert_eq!(reason, "invalid_request_error");
    }
    server.stop().await;
}

#[tokio::test]
async fn auth_is_off_without_a_key() {
    let server = start(ServerConfig::builder()).await;
    let (mut client, _) = dial(
        &server.url("/v1/realtime?model=m"),
        &[("authorization", "Bearer anything")],
        &[],
    )
    .await
    .unwrap();
    assert_eq!(next_json(&mut client).await["route"], "OpenAi");
    drop(client);
    server.stop().await;
}

/// Azure answers a missing or wrong key with HTTP 401 before the upgrade (so Azure SDKs take
/// their "status code" path): e.g. Azure-Samples/aisearch-openai-rag-audio#48, where the preview
/// URL `/openai/realtime?api-version=2024-10-01-preview&deployment=...` failed with
/// `WSServerHandshakeError: 401`. The body is Azure's `{"error": {"code": "401", "message"}}`
/// ("Access denied due to invalid subscription key or wrong API endpoint...", as quoted in
/// SciSharp/BotSharp#386).
#[tokio::test]
async fn azure_routes_refuse_a_bad_key_with_401_before_the_upgrade() {
    let server = start(ServerConfig::builder().api_key(ApiKey::new(KEY))).await;
    let bearer = format!("Bearer {WRONG}");
    for path in [
        "/openai/v1/realtime?model=d",
        "/openai/realtime?api-version=2025-04-01-preview&deployment=d",
        "/voice-live/realtime?api-version=2025-10-01&model=gpt-realtime",
    ] {
        let wrong_key = vec![("api-key", WRONG)];
        let wrong_bearer = vec![("authorization", bearer.as_str())];
        for headers in [wrong_key, wrong_bearer, vec![]] {
            let error = dial(&server.url(path), &headers, &[]).await.unwrap_err();
            let (status, body) = http_error(error);
            assert_eq!(status, 401, "{path}");
            assert_eq!(body["error"]["code"], "401", "{path}");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.starts_with("Access denied"), "{message}");
            assert!(!body.to_string().contains(WRONG));
        }
    }
    let query_key = format!("/openai/v1/realtime?model=d&api-key={WRONG}");
    let (status, _) = http_error(dial(&server.url(&query_key), &[], &[]).await.unwrap_err());
    assert_eq!(status, 401);
    // The right key still gets in.
    let (mut client, _) = dial(
        &server.url("/openai/v1/realtime?model=d"),
        &[("api-key", KEY)],
        &[],
    )
    .await
    .unwrap();
    assert!(next_json(&mut client).await.get("route").is_some());
    server.stop().await;
}
