//! Every path shape resolves to the right route, dialect, kind and model, including the exact
//! URLs and headers the openai Python SDK sends (see shared/harness/README.md).

use rtclient_server::ServerConfig;
use serde_json::{Value, json};

use crate::testutil::{dial, expect_refusal, http_error, next_json, raw_http, report, start};

/// A connection attempt: path and query, headers, offered subprotocols.
type Attempt<'a> = (&'a str, &'a [(&'static str, &'a str)], &'a [&'a str]);

fn expected(
    route: &str,
    dialect: &str,
    kind: &str,
    model: Option<&str>,
    api_version: Option<&str>,
    call_id: Option<&str>,
) -> Value {
    json!({
        "route": route,
        "dialect": dialect,
        "kind": kind,
        "model": model,
        "azure": route != "OpenAi",
        "api_version": api_version,
        "call_id": call_id,
    })
}

#[tokio::test]
async fn openai_sdk_urls_resolve() {
    let server = start(ServerConfig::builder()).await;
    // openai GA: AsyncOpenAI(websocket_base_url=BASE + "/v1").realtime.connect(model=M)
    let ga = report(
        &server.url("/v1/realtime?model=gpt-realtime"),
        &[("authorization", "Bearer sk-any")],
        &[],
    )
    .await;
    assert_eq!(
        ga,
        expected("OpenAi", "Ga", "realtime", Some("gpt-realtime"), None, None)
    );
    // openai beta: same URL plus the beta header.
    let beta = report(
        &server.url("/v1/realtime?model=gpt-4o-realtime-preview"),
        &[
            ("authorization", "Bearer sk-any"),
            ("openai-beta", "realtime=v1"),
        ],
        &[],
    )
    .await;
    assert_eq!(
        beta,
        expected(
            "OpenAi",
            "Beta",
            "realtime",
            Some("gpt-4o-realtime-preview"),
            None,
            None
        )
    );
    // openai Azure: websocket_base_url=BASE + "/openai", api-key header, beta header.
    let azure = report(
        &server.url("/openai/realtime?api-version=2025-04-01-preview&deployment=my-deployment"),
        &[("api-key", "azure-key"), ("openai-beta", "realtime=v1")],
        &[],
    )
    .await;
    assert_eq!(
        azure,
        expected(
            "AzurePreview",
            "Beta",
            "realtime",
            Some("my-deployment"),
            Some("2025-04-01-preview"),
            None
        )
    );
    // The same Azure URL from the GA client (no beta header) with a beta-era api-version.
    let azure_ga_client = report(
        &server.url("/openai/realtime?api-version=2024-10-01-preview&deployment=d"),
        &[("api-key", "azure-key")],
        &[],
    )
    .await;
    assert_eq!(azure_ga_client["dialect"], "Beta");
    server.stop().await;
}

#[tokio::test]
async fn every_path_shape_resolves() {
    let server = start(ServerConfig::builder()).await;
    let cases: Vec<(&str, Value)> = vec![
        (
            "/openai/v1/realtime?model=dep",
            expected("AzureGa", "Ga", "realtime", Some("dep"), None, None),
        ),
        (
            "/openai/realtime?api-version=2025-08-28&deployment=dep",
            expected(
                "AzurePreview",
                "Ga",
                "realtime",
                Some("dep"),
                Some("2025-08-28"),
                None,
            ),
        ),
        (
            "/openai/realtime?api-version=2024-12-17&deployment=dep",
            expected(
                "AzurePreview",
                "Beta",
                "realtime",
                Some("dep"),
                Some("2024-12-17"),
                None,
            ),
        ),
        (
            "/voice-live/realtime?api-version=2025-10-01&model=gpt-realtime",
            expected(
                "VoiceLive",
                "Beta",
                "realtime",
                Some("gpt-realtime"),
                Some("2025-10-01"),
                None,
            ),
        ),
        (
            "/v1/realtime?intent=transcription",
            expected("OpenAi", "Ga", "transcription", None, None, None),
        ),
        (
            "/v1/realtime?call_id=rtc_abc",
            expected("OpenAi", "Ga", "realtime", None, None, Some("rtc_abc")),
        ),
        (
            "/openai/v1/realtime?call_id=rtc_abc",
            expected("AzureGa", "Ga", "realtime", None, None, Some("rtc_abc")),
        ),
    ];
    for (path, want) in cases {
        assert_eq!(report(&server.url(path), &[], &[]).await, want, "{path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn browser_subprotocols_select_beta_and_get_realtime_back() {
    let server = start(ServerConfig::builder()).await;
    let (mut client, response) = dial(
        &server.url("/v1/realtime?model=m"),
        &[],
        &["realtime", "openai-beta.realtime-v1"],
    )
    .await
    .unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "realtime");
    assert_eq!(next_json(&mut client).await["dialect"], "Beta");
    drop(client);
    // Only the beta subprotocol offered: it is the one echoed.
    let (mut client, response) = dial(
        &server.url("/v1/realtime?model=m"),
        &[],
        &["openai-beta.realtime-v1"],
    )
    .await
    .unwrap();
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "openai-beta.realtime-v1"
    );
    assert_eq!(next_json(&mut client).await["dialect"], "Beta");
    drop(client);
    server.stop().await;
}

#[tokio::test]
async fn missing_model_is_refused_with_4000() {
    let server = start(ServerConfig::builder()).await;
    for path in [
        "/v1/realtime",
        "/v1/realtime?model=",
        "/openai/v1/realtime",
        "/openai/realtime?api-version=2025-04-01-preview",
        "/voice-live/realtime?api-version=2025-10-01",
    ] {
        let (mut client, _) = dial(&server.url(path), &[], &[]).await.unwrap();
        let (event, code, reason, _) = expect_refusal(&mut client).await;
        assert_eq!(event["error"]["type"], "invalid_request_error", "{path}");
        assert_eq!(event["error"]["code"], "missing_model", "{path}");
        assert_eq!(code, 4000, "{path}");
        assert_eq!(reason, "invalid_request_error.missing_model", "{path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn beta_switch_refuses_beta_shapes_with_4000() {
    let server = start(ServerConfig::builder().refuse_beta(true)).await;
    let beta_requests: [Attempt<'_>; 4] = [
        (
            "/v1/realtime?model=m",
            &[("openai-beta", "realtime=v1")],
            &[],
        ),
        (
            "/v1/realtime?model=m",
            &[],
            &["realtime", "openai-beta.realtime-v1"],
        ),
        (
            "/openai/realtime?api-version=2025-04-01-preview&deployment=d",
            &[],
            &[],
        ),
        ("/voice-live/realtime?model=m", &[], &[]),
    ];
    for (path, headers, protocols) in beta_requests {
        let (mut client, _) = dial(&server.url(path), headers, protocols).await.unwrap();
        let (event, code, reason, _) = expect_refusal(&mut client).await;
        assert_eq!(event["error"]["code"], "beta_api_shape_disabled", "{path}");
        assert_eq!(
            event["error"]["message"],
            "The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API."
        );
        assert_eq!(code, 4000);
        assert_eq!(reason, "invalid_request_error.beta_api_shape_disabled");
    }
    // GA connections are still served.
    let ga = report(&server.url("/v1/realtime?model=m"), &[], &[]).await;
    assert_eq!(ga["dialect"], "Ga");
    let azure_ga = report(
        &server.url("/openai/realtime?api-version=2025-08-28&deployment=d"),
        &[],
        &[],
    )
    .await;
    assert_eq!(azure_ga["dialect"], "Ga");
    server.stop().await;
}

#[tokio::test]
async fn unknown_paths_get_404_json() {
    let server = start(ServerConfig::builder()).await;
    for path in [
        "/v2/realtime?model=m",
        "/v1/realtime/extra",
        "/",
        "/openai/deployments",
    ] {
        let error = dial(&server.url(path), &[], &[]).await.unwrap_err();
        let (status, body) = http_error(error);
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"]["type"], "invalid_request_error", "{path}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("Invalid URL (GET /"), "{message}");
    }
    server.stop().await;
}

#[tokio::test]
async fn plain_http_on_a_realtime_path_gets_426_json() {
    let server = start(ServerConfig::builder()).await;
    let response = raw_http(
        server.addr,
        "GET /v1/realtime?model=m HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 426"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("content-type: application/json")
    );
    let body = response.split("\r\n\r\n").nth(1).unwrap();
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["error"]["code"], "websocket_upgrade_required");
    // Other methods (e.g. a WebRTC-style POST) get 405 with a JSON body.
    let response = raw_http(
        server.addr,
        "POST /v1/realtime?model=m HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n",
    )
    .await;
    assert!(response.starts_with("HTTP/1.1 405"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap();
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    server.stop().await;
}

/// Azure answers a preview URL without `api-version` with HTTP 404 "Resource not found"
/// (MicrosoftDocs/azure-docs#114602: Azure OpenAI returns 404 when `api-version` is missing).
#[tokio::test]
async fn azure_preview_without_api_version_is_not_found() {
    let server = start(ServerConfig::builder()).await;
    for path in [
        "/openai/realtime?deployment=x",
        "/openai/realtime?deployment=x&api-version=",
    ] {
        let (status, body) = http_error(dial(&server.url(path), &[], &[]).await.unwrap_err());
        assert_eq!(status, 404, "{path}");
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "404", "message": "Resource not found"}})
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_model_that_is_not_utf8_is_refused_with_4000() {
    let server = start(ServerConfig::builder()).await;
    for path in [
        "/v1/realtime?model=gpt-%FF%FE",
        "/openai/v1/realtime?model=%C3%28",
    ] {
        let (mut client, _) = dial(&server.url(path), &[], &[]).await.unwrap();
        let (event, code, reason, _) = expect_refusal(&mut client).await;
        assert_eq!(event["error"]["code"], "invalid_model", "{path}");
        assert_eq!(code, 4000);
        assert_eq!(reason, "invalid_request_error.invalid_model");
    }
    server.stop().await;
}
