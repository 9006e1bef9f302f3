//! Averaging a decoded file's channels into one.

use symphonia::core::audio::conv::FromSample;
use symphonia::core::audio::sample::Sample;
use symphonia::core::audio::{Audio, AudioBuffer, GenericAudioBufferRef};

/// Averages the channels of a decoded buffer into `mono`, converting samples to `f32` with
/// symphonia's own conversion (so results match its interleaved copy exactly).
pub(super) fn downmix_buffer(buf: &GenericAudioBufferRef<'_>, mono: &mut Vec<f32>) {
    match buf {
        GenericAudioBufferRef::U8(b) => downmix_planes(b, mono),
        GenericAudioBufferRef::U16(b) => downmix_planes(b, mono),
        GenericAudioBufferRef::U24(b) => downmix_planes(b, mono),
        GenericAudioBufferRef::U32(b) => downmix_planes(b, mono),
        GenericAudioBufferRef::S8(b) => downmix_planes(b, mono),
        GenericAudioBufferRef::S16(b) => downmix_planes(b, mono),
        GenericAudioBufferRef::S24(b) => downmix_planes(b, mono),
        GenericAudioBufferRef::S32(b) => downmix_planes(b, mono),
        GenericAudioBufferRef::F32(b) => downmix_planes(b, mono),
        GenericAudioBufferRef::F64(b) => downmix_planes(b, mono),
    }
}

fn downmix_planes<S: Sample>(buf: &AudioBuffer<S>, mono: &mut Vec<f32>)
where
    f32: FromSample<S>,
{
    let frames = buf.frames();
    let planes = buf.num_planes();
    mono.clear();
    mono.resize(frames, 0.0);
    for ch in 0..planes {
        if let Some(plane) = buf.plane(ch) {
            for (m, &s) in mono.iter_mut().zip(plane) {
                *m += f32::from_sample(s);
            }
        }
    }
    if planes > 1 {
        let scale = 1.0 / planes as f32;
        for m in mono.iter_mut() {
            *m *= scale;
        }
    }
}

/// Averages the channels of `interleaved` into `mono`.
pub(super) fn downmix(interleaved: &[f32], channels: usize, mono: &mut Vec<f32>) {
    mono.clear();
    if channels <= 1 {
        mono.extend_from_slice(interleaved);
        return;
    }
    let scale = 1.0 / channels as f32;
    if channels == 2 {
        mono.extend(
            interleaved
                .chunks_exact(2)
                .map(|frame| (frame[0] + frame[1]) * scale),
        );
        return;
    }
    mono.extend(
        interleaved
            .chunks_exact(channels)
            .map(|frame| frame.iter().sum::<f32>() * scale),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downmix_averages() {
        let mut mono = Vec::new();
        downmix(&[1.0, 0.0, 0.5, -0.5, -1.0, -1.0], 2, &mut mono);
        assert_eq!(mono, vec![0.5, 0.0, -1.0]);
    }
}
