//! Run with `cargo run -p rtclient-server --example local_server -- [ADDR] [--api-key KEY]
//! [--refuse-beta]`.
//!
//! Serves the Realtime routes on ADDR (default 127.0.0.1:8765) until Ctrl-C. Every connection
//! gets a full Realtime session: server VAD on the audio you stream, replies from the default
//! echo responder spoken with espeak-ng (install `espeak-ng`), items, cancel, truncate, errors.

use std::net::SocketAddr;

use rtclient_server::{ApiKey, ServerConfig, serve};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = ServerConfig::builder();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--api-key" => {
                let key = args.next().ok_or("--api-key needs a value")?;
                config = config.api_key(ApiKey::new(key));
            }
            "--refuse-beta" => config = config.refuse_beta(true),
            addr => config = config.listen_addr(addr.parse::<SocketAddr>()?),
        }
    }
    let config = config.build()?;
    let auth = if config.api_key().is_some() {
        "on"
    } else {
        "off"
    };
    let listener = tokio::net::TcpListener::bind(config.listen_addr()).await?;
    let server = serve(listener, config);
    let addr = server.local_addr()?;
    println!("Realtime server on ws://{addr} (auth {auth}); Ctrl-C stops it.");
    println!("  OpenAI GA:     ws://{addr}/v1/realtime?model=gpt-realtime");
    println!("  Azure GA:      ws://{addr}/openai/v1/realtime?model=DEPLOYMENT");
    println!(
        "  Azure preview: ws://{addr}/openai/realtime?api-version=2025-04-01-preview&deployment=D"
    );
    server
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
