//! The models folder: one directory holding every engine's model files.
//!
//! It is `$RTCLIENT_MODELS` when set, else `$XDG_CACHE_HOME/rtclient/models`, else
//! `$HOME/.cache/rtclient/models`; `scripts/install-engines` installs into the same place.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Environment variable that overrides the models folder.
pub const MODELS_ENV: &str = "RTCLIENT_MODELS";

/// What to run when a model file is missing.
pub const INSTALL_COMMAND: &str = "scripts/install-engines";

/// The ONNX Runtime shared library every ONNX engine runs on (PyPI `onnxruntime` 1.32.0).
pub const ONNX_RUNTIME: ModelFile =
    ModelFile::new("onnxruntime/libonnxruntime.so", "the ONNX Runtime library");

/// One file in the models folder; each engine declares the files it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModelFile {
    relative_path: &'static str,
    description: &'static str,
    install_command: &'static str,
}

impl ModelFile {
    /// The file at `relative_path` inside the models folder, which `description` names in
    /// messages (e.g. "the Silero VAD model"); [`INSTALL_COMMAND`] installs it.
    pub const fn new(relative_path: &'static str, description: &'static str) -> Self {
        Self {
            relative_path,
            description,
            install_command: INSTALL_COMMAND,
        }
    }

    /// The same file, installed by `command` instead (for files installed only when asked).
    pub const fn installed_by(self, command: &'static str) -> Self {
        Self {
            install_command: command,
            ..self
        }
    }

    /// Path of the file inside the models folder.
    pub fn relative_path(self) -> &'static str {
        self.relative_path
    }

    /// What the file is, for messages (e.g. "the Silero VAD model").
    pub fn description(self) -> &'static str {
        self.description
    }

    /// The command that installs the file: [`INSTALL_COMMAND`], with an option for files it
    /// installs only when asked.
    pub fn install_command(self) -> &'static str {
        self.install_command
    }
}

impl std::fmt::Display for ModelFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.description())
    }
}

/// Why a model file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelsError {
    /// No folder could be chosen: none of the variables that name one is set.
    #[error("no models folder: set {MODELS_ENV} (or HOME), then run {INSTALL_COMMAND}")]
    NoFolder,
    /// The file is not in the models folder.
    #[error("{file} is missing: {} does not exist; run {}", path.display(), file.install_command())]
    Missing {
        /// The file that was looked for.
        file: ModelFile,
        /// Where it was looked for.
        path: PathBuf,
    },
}

/// The models folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelsDir {
    root: PathBuf,
}

impl ModelsDir {
    /// The models folder at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The folder the environment names: `$RTCLIENT_MODELS`, else the user's cache folder.
    pub fn from_env() -> Result<Self, ModelsError> {
        Self::from_vars(|name| std::env::var_os(name))
    }

    /// [`from_env`](Self::from_env) with the variables read through `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Result<Self, ModelsError> {
        let set = |name: &str| {
            var(name)
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        };
        if let Some(root) = set(MODELS_ENV) {
            return Ok(Self::new(root));
        }
        let cache = set("XDG_CACHE_HOME")
            .or_else(|| set("HOME").map(|home| home.join(".cache")))
            .ok_or(ModelsError::NoFolder)?;
        Ok(Self::new(cache.join("rtclient").join("models")))
    }

    /// The folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where `file` belongs, whether or not it is there.
    pub fn path(&self, file: ModelFile) -> PathBuf {
        self.root.join(file.relative_path())
    }

    /// Where `file` is, or [`ModelsError::Missing`] when it is not installed.
    pub fn require(&self, file: ModelFile) -> Result<PathBuf, ModelsError> {
        let path = self.path(file);
        if path.is_file() {
            Ok(path)
        } else {
            Err(ModelsError::Missing { file, path })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stt::whisper::WHISPER_MODEL;
    use crate::engine::vad::silero::SILERO_VAD_MODEL;

    fn root(pairs: &[(&str, &str)]) -> Result<PathBuf, ModelsError> {
        let var = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| OsString::from(value))
        };
        ModelsDir::from_vars(var).map(|dir| dir.root().to_owned())
    }

    #[test]
    fn the_override_wins_then_xdg_then_home() {
        let all = [(MODELS_ENV, "/m"), ("XDG_CACHE_HOME", "/x"), ("HOME", "/h")];
        assert_eq!(root(&all), Ok(PathBuf::from("/m")));
        assert_eq!(root(&all[1..]), Ok(PathBuf::from("/x/rtclient/models")));
        assert_eq!(
            root(&[(MODELS_ENV, ""), ("HOME", "/h")]),
            Ok(PathBuf::from("/h/.cache/rtclient/models"))
        );
        assert_eq!(root(&[]), Err(ModelsError::NoFolder));
    }

    #[test]
    fn a_missing_file_names_itself_and_the_install_command() {
        let dir = tempfile::tempdir().unwrap();
        let models = ModelsDir::new(dir.path());
        let error = models.require(SILERO_VAD_MODEL).unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("the Silero VAD model is missing"),
            "{message}"
        );
        assert!(message.contains("silero/silero_vad.onnx"), "{message}");
        assert!(
            message.ends_with("run scripts/install-engines"),
            "{message}"
        );
        let whisper = models.require(WHISPER_MODEL).unwrap_err();
        assert!(
            whisper
                .to_string()
                .ends_with("run scripts/install-engines --whisper"),
            "{whisper}"
        );

        let path = models.path(SILERO_VAD_MODEL);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"onnx").unwrap();
        assert_eq!(models.require(SILERO_VAD_MODEL), Ok(path));
    }
}
