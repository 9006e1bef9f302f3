//! What every engine test needs: the installed models folder.

use rtclient_server::engine::models::ModelsDir;

/// The models folder, or a panic naming the install step.
pub(crate) fn models() -> ModelsDir {
    ModelsDir::from_env().unwrap_or_else(|error| panic!("{error}"))
}
