//! Keys and tokens never show in `Debug` or `Display` of configs, connections or errors.

use rtclient::{ClientConfig, CommandToken, Connection, Credential, Error, StaticToken, Target};

use crate::server::{accept, http_error, listen, refuse, within};

const KEY: &str = "sk-SECRET-0123456789";

#[tokio::test]
async fn config_connection_and_errors_hide_the_key() {
    let (listener, base) = listen().await;
    let config =
        ClientConfig::builder(Target::custom(&format!("{base}/rt?api-key={KEY}")).unwrap())
            .credential(Credential::bearer_key(KEY))
            .build();
    assert!(!format!("{config:?}").contains(KEY));
    assert!(!format!("{:?}", config.target()).contains(KEY));
    assert!(!config.target().redacted_url().to_string().contains(KEY));

    let ((_socket, seen), connection) =
        within(async { tokio::join!(accept(&listener), Connection::connect(&config)) }).await;
    let connection = connection.unwrap();
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert!(!format!("{connection:?}").contains(KEY));
    let (sender, receiver) = connection.split();
    assert!(!format!("{sender:?} {receiver:?}").contains(KEY));

    let response = http_error(
        401,
        "Unauthorized",
        &[],
        r#"{"error":{"code":"401","message":"bad key"}}"#,
    );
    let (_, refused) =
        within(async { tokio::join!(refuse(&listener, response), Connection::connect(&config)) })
            .await;
    let error = refused.expect_err("refused");
    assert!(!format!("{error} {error:?}").contains(KEY));

    let token = Credential::token(StaticToken::new(KEY));
    assert!(!format!("{token:?}").contains(KEY));
}

#[tokio::test]
async fn failing_token_command_fails_the_connect_with_its_stderr() {
    let config =
        ClientConfig::builder(Target::azure("https://res.openai.azure.com", "dep").unwrap())
            .credential(Credential::token(CommandToken::new(
                "sh",
                ["-c", "echo 'Please run az login' >&2; exit 1"],
            )))
            .build();
    match within(Connection::connect(&config)).await {
        Err(Error::TokenCommandFailed { stderr, .. }) => assert_eq!(stderr, "Please run az login"),
        other => panic!("expected TokenCommandFailed, got {other:?}"),
    }
}
