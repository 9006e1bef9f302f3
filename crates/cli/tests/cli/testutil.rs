//! Shared helpers.

use std::path::PathBuf;

use assert_cmd::Command;

/// The repository's `testdata/` folder.
pub(crate) fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// `rtclient` with a clean environment: no provider variables, no colour, run in a temporary
/// directory so no `.env` is found.
pub(crate) fn rtclient(dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("rtclient").unwrap();
    for name in [
        "OPENAI_API_KEY",
        "OPENAI_MODEL",
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_DEPLOYMENT",
        "AZURE_OPENAI_API_VERSION",
        "RTCLIENT_API_KEY",
        "RTCLIENT_SERVER_API_KEY",
        "RUST_LOG",
    ] {
        cmd.env_remove(name);
    }
    cmd.env("NO_COLOR", "1").current_dir(dir);
    cmd
}
