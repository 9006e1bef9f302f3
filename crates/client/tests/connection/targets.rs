//! The exact URL path, query and headers the client sends for each target, seen by the server.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use rtclient::{
    ClientConfig, Connection, Credential, OpenAiSession, Secret, Target, TokenFuture,
    TokenProvider, USER_AGENT,
};

use crate::server::{Seen, accept, listen, within};

/// Connects with `config` built from the server's base URL and returns what the server saw.
async fn seen(config: impl FnOnce(&str) -> ClientConfig) -> Seen {
    let (listener, base) = listen().await;
    let config = config(&base);
    let ((_socket, seen), connection) =
        within(async { tokio::join!(accept(&listener), Connection::connect(&config)) }).await;
    connection.unwrap();
    seen
}

fn assert_common(seen: &Seen) {
    assert_eq!(seen.header("user-agent"), Some(USER_AGENT));
    assert!(USER_AGENT.starts_with("rtclient-rust/"));
}

fn assert_no_azure_request_id(seen: &Seen) {
    assert_eq!(seen.header("x-ms-client-request-id"), None);
}

fn assert_azure_request_id(seen: &Seen) -> uuid::Uuid {
    let id = uuid::Uuid::parse_str(seen.header("x-ms-client-request-id").unwrap()).unwrap();
    assert_eq!(id.get_version_num(), 4);
    id
}

#[tokio::test]
async fn openai_ga_model() {
    let seen = seen(|base| {
        ClientConfig::builder(
            Target::openai_at(base, OpenAiSession::model("gpt-realtime")).unwrap(),
        )
        .credential(Credential::bearer_key("sk-test-1"))
        .build()
    })
    .await;
    assert_eq!(seen.path, "/v1/realtime");
    assert_eq!(seen.query.as_deref(), Some("model=gpt-realtime"));
    assert_eq!(seen.header("authorization"), Some("Bearer sk-test-1"));
    assert_eq!(seen.header("openai-beta"), None);
    assert_eq!(seen.header("api-key"), None);
    assert_no_azure_request_id(&seen);
    assert_common(&seen);
}

#[tokio::test]
async fn openai_transcription_intent_and_call_id() {
    let seen_transcription = seen(|base| {
        ClientConfig::builder(Target::openai_at(base, OpenAiSession::Transcription).unwrap())
            .credential(Credential::bearer_key("sk-test-2"))
            .build()
    })
    .await;
    assert_eq!(seen_transcription.path, "/v1/realtime");
    assert_eq!(
        seen_transcription.query.as_deref(),
        Some("intent=transcription")
    );

    let seen_call = seen(|base| {
        ClientConfig::builder(Target::openai_at(base, OpenAiSession::call("rtc_abc123")).unwrap())
            .credential(Credential::bearer_key("sk-test-2"))
            .build()
    })
    .await;
    assert_eq!(seen_call.path, "/v1/realtime");
    assert_eq!(seen_call.query.as_deref(), Some("call_id=rtc_abc123"));
    assert_eq!(seen_call.header("authorization"), Some("Bearer sk-test-2"));
}

#[tokio::test]
async fn openai_beta_adds_header() {
    let seen = seen(|base| {
        ClientConfig::builder(
            Target::openai_at(base, OpenAiSession::model("gpt-4o-realtime-preview"))
                .unwrap()
                .with_dialect(rtclient::Dialect::Beta),
        )
        .credential(Credential::bearer_key("sk-test-3"))
        .build()
    })
    .await;
    assert_eq!(seen.query.as_deref(), Some("model=gpt-4o-realtime-preview"));
    assert_eq!(seen.header("openai-beta"), Some("realtime=v1"));
    assert_eq!(seen.header("authorization"), Some("Bearer sk-test-3"));
    assert_no_azure_request_id(&seen);
}

#[tokio::test]
async fn azure_ga_uses_api_key_and_request_id() {
    let first = seen(|base| {
        ClientConfig::builder(Target::azure(base, "my-deployment").unwrap())
            .credential(Credential::azure_api_key("az-key-1"))
            .build()
    })
    .await;
    assert_eq!(first.path, "/openai/v1/realtime");
    assert_eq!(first.query.as_deref(), Some("model=my-deployment"));
    assert_eq!(first.header("api-key"), Some("az-key-1"));
    assert_eq!(first.header("authorization"), None);
    assert_eq!(first.header("openai-beta"), None);
    assert_common(&first);
    let first_id = assert_azure_request_id(&first);

    let second = seen(|base| {
        ClientConfig::builder(Target::azure(base, "my-deployment").unwrap())
            .credential(Credential::azure_api_key("az-key-1"))
            .build()
    })
    .await;
    assert_ne!(
        assert_azure_request_id(&second),
        first_id,
        "a new id per connect"
    );
}

#[tokio::test]
async fn azure_preview_uses_api_version_and_deployment() {
    let seen = seen(|base| {
        ClientConfig::builder(
            Target::azure_preview(&format!("{base}/"), "dep-1", "2025-04-01-preview").unwrap(),
        )
        .credential(Credential::azure_api_key("az-key-2"))
        .build()
    })
    .await;
    assert_eq!(seen.path, "/openai/realtime");
    assert_eq!(
        seen.query.as_deref(),
        Some("api-version=2025-04-01-preview&deployment=dep-1")
    );
    assert_eq!(seen.header("api-key"), Some("az-key-2"));
    assert_eq!(seen.header("openai-beta"), None);
    assert_azure_request_id(&seen);
    assert_common(&seen);
}

#[tokio::test]
async fn custom_url_is_used_as_given() {
    let seen = seen(|base| {
        let ws = base.replace("http://", "ws://");
        ClientConfig::builder(Target::custom(&format!("{ws}/custom/path?x=1&model=m")).unwrap())
            .build()
    })
    .await;
    assert_eq!(seen.path, "/custom/path");
    assert_eq!(seen.query.as_deref(), Some("x=1&model=m"));
    assert_eq!(seen.header("authorization"), None);
    assert_eq!(seen.header("api-key"), None);
    assert_no_azure_request_id(&seen);
    assert_common(&seen);
}

#[tokio::test]
async fn http_endpoint_becomes_ws_and_https_becomes_wss() {
    // `listen` hands out http:// bases, so every target above went through http -> ws.
    let seen =
        seen(|base| ClientConfig::builder(Target::custom(&format!("{base}/rt")).unwrap()).build())
            .await;
    assert_eq!(seen.path, "/rt");
    let https = Target::azure("https://res.openai.azure.com", "d").unwrap();
    assert_eq!(https.url().scheme(), "wss");
}

/// Counts calls and returns `tok-N`.
#[derive(Default)]
struct CountingProvider(Arc<AtomicUsize>);

impl TokenProvider for CountingProvider {
    fn token(&self) -> TokenFuture<'_> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Box::pin(async move { Ok(Secret::new(format!("tok-{n}"))) })
    }
}

#[tokio::test]
async fn token_provider_is_asked_on_every_connect() {
    let calls = Arc::new(AtomicUsize::new(0));
    let credential = Credential::token(CountingProvider(calls.clone()));
    let mut seen_tokens = Vec::new();
    for _ in 0..2 {
        let seen = seen(|base| {
            ClientConfig::builder(Target::azure(base, "dep").unwrap())
                .credential(credential.clone())
                .build()
        })
        .await;
        assert_eq!(seen.header("api-key"), None);
        seen_tokens.push(seen.header("authorization").unwrap().to_owned());
    }
    assert_eq!(seen_tokens, ["Bearer tok-1", "Bearer tok-2"]);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn command_token_provider_feeds_the_header() {
    let seen = seen(|base| {
        ClientConfig::builder(Target::custom(base).unwrap())
            .credential(Credential::token(rtclient::CommandToken::new(
                "echo",
                ["cmd-token"],
            )))
            .build()
    })
    .await;
    assert_eq!(seen.header("authorization"), Some("Bearer cmd-token"));
}
