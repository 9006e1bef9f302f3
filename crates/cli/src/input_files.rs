//! The input files' audio: each file opened as wire chunks, and one paced clock that sends them
//! back to back, as one microphone would.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rtclient_audio::{AudioSource, Chunk, Chunks, Pace, Pacer, WireFormat};

use crate::exit::CliError;

/// One input file as 24 kHz PCM16 wire chunks of the default length; its errors name the file.
pub(crate) struct InputFile {
    path: PathBuf,
    chunks: Chunks,
}

impl InputFile {
    /// Opens and decodes `path`.
    pub(crate) fn open(path: &Path) -> Result<Self, CliError> {
        let chunks = AudioSource::open(path)
            .and_then(|source| source.to_wire(WireFormat::default()))
            .and_then(|wire| wire.chunks(rtclient_audio::DEFAULT_CHUNK))
            .map_err(|e| unusable(path, &e))?;
        Ok(Self {
            path: path.to_owned(),
            chunks,
        })
    }

    /// The file's length, when its header says it.
    pub(crate) fn total_duration(&self) -> Option<Duration> {
        self.chunks.total_duration()
    }
}

impl Iterator for InputFile {
    type Item = Result<Chunk, CliError>;

    fn next(&mut self) -> Option<Self::Item> {
        let chunk = self.chunks.next()?;
        Some(chunk.map_err(|e| unusable(&self.path, &e)))
    }
}

fn unusable(path: &Path, error: &rtclient_audio::Error) -> CliError {
    CliError::usage(format!("{}: cannot use this input file", path.display())).caused_by(error)
}

/// The clock of everything sent so far: each file starts where the one before ended, and each
/// chunk or stretch of silence is due when its end is, at the chosen pace.
pub(crate) struct Timeline {
    pacer: Pacer,
    file_start: Duration,
    offset: Duration,
}

impl Timeline {
    /// A timeline at `pace`, starting now.
    pub(crate) fn new(pace: Pace) -> Result<Self, CliError> {
        let pacer =
            Pacer::new(pace).map_err(|e| CliError::usage("invalid --pace").caused_by(&e))?;
        Ok(Self {
            pacer,
            file_start: Duration::ZERO,
            offset: Duration::ZERO,
        })
    }

    /// Starts the next file where everything sent so far ends.
    pub(crate) fn next_file(&mut self) {
        self.file_start = self.offset;
    }

    /// Waits until `chunk` of the current file is due.
    pub(crate) async fn wait_for(&mut self, chunk: &Chunk) {
        self.offset = self.file_start + chunk.end();
        self.pacer.wait_until(self.offset).await;
    }

    /// Waits until `duration` more silence after everything sent so far is due.
    pub(crate) async fn wait_for_silence(&mut self, duration: Duration) {
        self.offset += duration;
        self.file_start = self.offset;
        self.pacer.wait_until(self.offset).await;
    }
}
