//! The microphone and the speaker of `talk`, on the default input and output devices through
//! cpal.
//!
//! The [`Microphone`] sends what it captures, mixed down to mono `f32` at the device's rate, to
//! a channel. The [`Speaker`] plays queued mono `f32` audio (at its device's rate) on every
//! channel and reports, per assistant item, how much it has really played to a
//! [`ReportedPlayback`], so that a barge-in truncates the reply where the user heard it end.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, Sample, SampleFormat, SizedSample, StreamConfig, SupportedStreamConfig};
use rtclient::ReportedPlayback;
use tokio::sync::mpsc;

use crate::exit::CliError;

/// The default input device, capturing while it lives.
pub(crate) struct Microphone {
    _stream: cpal::Stream,
    rate: u32,
}

impl Microphone {
    /// Opens the default input device and starts capturing; mono blocks arrive on the
    /// returned channel.
    pub(crate) fn open() -> Result<(Self, mpsc::UnboundedReceiver<Vec<f32>>), CliError> {
        let device = cpal::default_host()
            .default_input_device()
            .ok_or_else(|| no_device("input"))?;
        let supported = device
            .default_input_config()
            .map_err(|e| device_error("the microphone has no usable format", &e))?;
        // Unbounded, so the audio thread never waits nor loses audio: a device captures in real
        // time, and sending keeps up with that.
        let (sender, receiver) = mpsc::unbounded_channel();
        tracing::debug!("microphone: {supported:?}");
        let config = supported.config();
        let channels = usize::from(config.channels.max(1));
        let stream = match supported.sample_format() {
            SampleFormat::F32 => capture::<f32>(&device, config, channels, sender),
            SampleFormat::I16 => capture::<i16>(&device, config, channels, sender),
            SampleFormat::I32 => capture::<i32>(&device, config, channels, sender),
            other => return Err(unsupported(other)),
        }
        .map_err(|e| device_error("could not open the microphone", &e))?;
        stream
            .play()
            .map_err(|e| device_error("could not start the microphone", &e))?;
        let microphone = Self {
            _stream: stream,
            rate: config.sample_rate,
        };
        Ok((microphone, receiver))
    }

    /// The capture rate, in Hz.
    pub(crate) fn rate(&self) -> u32 {
        self.rate
    }
}

/// An input stream of `T` samples, mixed down to mono `f32` blocks sent to `sender`.
fn capture<T>(
    device: &cpal::Device,
    config: StreamConfig,
    channels: usize,
    sender: mpsc::UnboundedSender<Vec<f32>>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample,
    T: Sample,
    f32: FromSample<T>,
{
    device.build_input_stream(
        config,
        move |data: &[T], _| {
            let block: Vec<f32> = data
                .chunks(channels)
                .map(|frame| {
                    frame.iter().map(|&s| s.to_sample::<f32>()).sum::<f32>() / frame.len() as f32
                })
                .collect();
            // An error means the session ended and nobody listens any more.
            if !block.is_empty() {
                let _ = sender.send(block);
            }
        },
        |e| tracing::warn!("microphone: {e}"),
        None,
    )
}

/// What the speaker has to play, shared with its audio thread.
#[derive(Debug, Default)]
struct Queue {
    /// Audio not played yet, by assistant item, in playing order.
    pending: VecDeque<(String, VecDeque<f32>)>,
    /// Samples played so far per item.
    played: HashMap<String, u64>,
}

/// The default output device, playing queued audio while it lives.
pub(crate) struct Speaker {
    _stream: cpal::Stream,
    queue: Arc<Mutex<Queue>>,
    rate: u32,
}

impl Speaker {
    /// Opens the default output device; what it plays is reported to `tracker`.
    pub(crate) fn open(tracker: ReportedPlayback) -> Result<Self, CliError> {
        let device = cpal::default_host()
            .default_output_device()
            .ok_or_else(|| no_device("output"))?;
        let supported: SupportedStreamConfig = device
            .default_output_config()
            .map_err(|e| device_error("the speaker has no usable format", &e))?;
        tracing::debug!("speaker: {supported:?}");
        let config = supported.config();
        let queue = Arc::new(Mutex::new(Queue::default()));
        let player = Player {
            queue: Arc::clone(&queue),
            tracker,
            rate: config.sample_rate,
            channels: usize::from(config.channels.max(1)),
        };
        let stream = match supported.sample_format() {
            SampleFormat::F32 => play::<f32>(&device, config, player),
            SampleFormat::I16 => play::<i16>(&device, config, player),
            SampleFormat::I32 => play::<i32>(&device, config, player),
            other => return Err(unsupported(other)),
        }
        .map_err(|e| device_error("could not open the speaker", &e))?;
        stream
            .play()
            .map_err(|e| device_error("could not start the speaker", &e))?;
        Ok(Self {
            _stream: stream,
            queue,
            rate: config.sample_rate,
        })
    }

    /// The playback rate, in Hz.
    pub(crate) fn rate(&self) -> u32 {
        self.rate
    }

    /// Queues mono samples (at [`rate`](Self::rate)) of assistant item `item_id`.
    pub(crate) fn push(&self, item_id: &str, samples: &[f32]) {
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        match queue.pending.back_mut() {
            Some((last, pending)) if last == item_id => pending.extend(samples),
            _ => queue
                .pending
                .push_back((item_id.to_owned(), samples.iter().copied().collect())),
        }
    }

    /// Drops everything not played yet (the user barged in).
    pub(crate) fn stop(&self) {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pending
            .clear();
    }

    /// Whether everything queued has been played.
    pub(crate) fn is_idle(&self) -> bool {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pending
            .is_empty()
    }
}

/// The speaker's audio-thread side.
struct Player {
    queue: Arc<Mutex<Queue>>,
    tracker: ReportedPlayback,
    rate: u32,
    channels: usize,
}

impl Player {
    /// Fills `out` (interleaved frames) from the queue, silence where it runs out, and reports
    /// the items it played from.
    fn fill<T: SizedSample + FromSample<f32>>(&self, out: &mut [T]) {
        let mut guard = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        let queue = &mut *guard;
        let mut touched: Vec<String> = Vec::new();
        for frame in out.chunks_mut(self.channels) {
            let sample = loop {
                let Some((item_id, pending)) = queue.pending.front_mut() else {
                    break 0.0;
                };
                if let Some(sample) = pending.pop_front() {
                    *queue.played.entry(item_id.clone()).or_default() += 1;
                    if touched.last() != Some(item_id) {
                        touched.push(item_id.clone());
                    }
                    break sample;
                }
                queue.pending.pop_front();
            };
            frame.fill(T::from_sample(sample));
        }
        for item_id in touched {
            let samples = queue.played.get(&item_id).copied().unwrap_or(0);
            self.tracker
                .report(&item_id, samples * 1000 / u64::from(self.rate.max(1)));
        }
    }
}

/// An output stream of `T` samples fed by `player`.
fn play<T>(
    device: &cpal::Device,
    config: StreamConfig,
    player: Player,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + FromSample<f32>,
{
    device.build_output_stream(
        config,
        move |out: &mut [T], _| player.fill(out),
        |e| tracing::warn!("speaker: {e}"),
        None,
    )
}

fn no_device(kind: &str) -> CliError {
    CliError::usage(format!("no audio {kind} device found"))
        .hint("plug in a microphone and speakers (or headphones), or set the ALSA default device")
}

fn device_error(message: &str, error: &cpal::Error) -> CliError {
    CliError::failure(message).caused_by(error)
}

fn unsupported(format: SampleFormat) -> CliError {
    CliError::usage(format!(
        "the audio device's sample format {format} is not supported"
    ))
    .hint("choose a device that takes 16-bit, 32-bit or float samples")
}
