//! Every bad input gives its own typed error, naming the file and the reason.

use std::path::Path;

use rtclient_audio::{AudioSource, Error, RawPcm16, WireFormat};

use crate::testutil::Workdir;

/// Opens and converts the whole file, returning the first error.
fn first_error(path: &Path) -> Error {
    let source = match AudioSource::open(path) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let chunks = source
        .to_wire(WireFormat::default())
        .unwrap()
        .chunks(std::time::Duration::from_millis(100))
        .unwrap();
    for chunk in chunks {
        if let Err(e) = chunk {
            return e;
        }
    }
    panic!("{}: expected an error", path.display());
}

fn assert_names_file(err: &Error, path: &Path) {
    let msg = err.to_string();
    assert!(msg.starts_with(&path.display().to_string()), "{msg}");
}

#[test]
fn missing_file_and_directory() {
    let w = Workdir::new();
    let missing = w.path("missing.wav");
    let err = first_error(&missing);
    match &err {
        Error::Open { source, .. } => assert_eq!(source.kind(), std::io::ErrorKind::NotFound),
        other => panic!("{other:?}"),
    }
    assert_names_file(&err, &missing);
    assert!(matches!(first_error(w.dir.path()), Error::Open { .. }));
}

#[test]
fn empty_file() {
    let w = Workdir::new();
    let path = w.path("empty.wav");
    std::fs::write(&path, b"").unwrap();
    let err = first_error(&path);
    assert!(matches!(err, Error::Empty { .. }), "{err:?}");
    assert_names_file(&err, &path);
    assert!(err.to_string().contains("empty"));
}

#[test]
fn garbage_bytes() {
    let w = Workdir::new();
    let path = w.path("noise.wav");
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, bytes).unwrap();
    let err = first_error(&path);
    assert!(matches!(err, Error::UnknownFormat { .. }), "{err:?}");
    assert_names_file(&err, &path);
    assert!(
        err.to_string().contains("WAV, FLAC, OGG Vorbis or MP3"),
        "{err}"
    );
}

#[test]
fn truncated_files() {
    let w = Workdir::new();
    let wav = std::fs::read(w.path("speech.wav")).unwrap();

    // Only part of the header.
    let header_only = w.path("header.wav");
    std::fs::write(&header_only, &wav[..30]).unwrap();
    let err = first_error(&header_only);
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    assert_names_file(&err, &header_only);

    // Header promises more samples than the file holds.
    let cut = w.path("cut.wav");
    std::fs::write(&cut, &wav[..wav.len() / 2]).unwrap();
    let err = first_error(&cut);
    match &err {
        Error::Truncated {
            expected_frames,
            got_frames,
            ..
        } => assert!(got_frames < expected_frames),
        other => panic!("{other:?}"),
    }
    assert_names_file(&err, &cut);
    assert!(err.to_string().contains("truncated"));

    // FLAC cut in the middle of a frame.
    let flac = w.sox_speech("speech.flac", &[]);
    let bytes = std::fs::read(&flac).unwrap();
    let cut_flac = w.path("cut.flac");
    std::fs::write(&cut_flac, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(first_error(&cut_flac), Error::Truncated { .. }));

    // Raw PCM16 with half a sample at the end.
    let raw = w.path("odd.raw");
    std::fs::write(&raw, [0u8; 1001]).unwrap();
    let layout = RawPcm16 {
        sample_rate: 16_000,
        channels: 1,
    };
    let chunks = AudioSource::open_raw(&raw, layout)
        .unwrap()
        .to_wire(WireFormat::default())
        .unwrap()
        .chunks(std::time::Duration::from_millis(100))
        .unwrap();
    let errors: Vec<_> = chunks.filter_map(|c| c.err()).collect();
    assert!(
        matches!(errors.as_slice(), [Error::Truncated { .. }]),
        "{errors:?}"
    );
}

#[test]
fn corrupt_flac() {
    let w = Workdir::new();
    let flac = w.sox_speech("speech.flac", &[]);
    let mut bytes = std::fs::read(&flac).unwrap();
    let n = bytes.len();
    for (i, b) in bytes[n / 4..n * 3 / 4].iter_mut().enumerate() {
        *b = (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[2];
    }
    let bad = w.path("bad.flac");
    std::fs::write(&bad, bytes).unwrap();
    let err = first_error(&bad);
    assert!(
        matches!(err, Error::Corrupt { .. } | Error::Truncated { .. }),
        "{err:?}"
    );
    assert_names_file(&err, &bad);
}

/// sox cannot write Opus here, so build a minimal Ogg Opus stream by hand (RFC 7845 headers).
#[test]
fn opus_is_unsupported_with_a_hint() {
    let w = Workdir::new();
    let path = w.path("input.ogg");
    std::fs::write(&path, ogg_opus()).unwrap();
    let err = first_error(&path);
    match &err {
        Error::UnsupportedCodec { codec, .. } => assert_eq!(codec, "Opus"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!(
            "{}: Opus is not supported; convert to WAV/FLAC/Vorbis/MP3",
            path.display()
        )
    );
}

/// AIFF is a real audio format we do not read: a clear "not recognised" error.
#[test]
fn aiff_is_not_recognised() {
    let w = Workdir::new();
    let path = w.sox_speech("speech.aiff", &[]);
    assert!(matches!(first_error(&path), Error::UnknownFormat { .. }));
}

#[test]
fn invalid_arguments() {
    let w = Workdir::new();
    let bad_rate = AudioSource::open(w.path("speech.wav"))
        .unwrap()
        .to_wire(WireFormat::Pcm16 { rate: 0 });
    assert!(matches!(bad_rate, Err(Error::InvalidArgument { .. })));
    let bad_layout = AudioSource::open_raw(
        w.path("speech.wav"),
        RawPcm16 {
            sample_rate: 16_000,
            channels: 0,
        },
    );
    assert!(matches!(bad_layout, Err(Error::InvalidArgument { .. })));
}

fn ogg_opus() -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.push(1); // version
    head.push(1); // channels
    head.extend_from_slice(&312u16.to_le_bytes()); // pre-skip
    head.extend_from_slice(&48_000u32.to_le_bytes()); // input rate
    head.extend_from_slice(&0i16.to_le_bytes()); // gain
    head.push(0); // mapping family
    let mut tags = b"OpusTags".to_vec();
    tags.extend_from_slice(&4u32.to_le_bytes());
    tags.extend_from_slice(b"test");
    tags.extend_from_slice(&0u32.to_le_bytes());
    // One 20 ms packet of silence (TOC for CELT FB 20 ms, mono, one frame) + padding bytes.
    let audio = [0xFCu8, 0xFF, 0xFE];
    let mut out = ogg_page(0x02, 0, 0, &head);
    out.extend(ogg_page(0x00, 0, 1, &tags));
    out.extend(ogg_page(0x04, 960, 2, &audio));
    out
}

fn ogg_page(flags: u8, granule: u64, seq: u32, packet: &[u8]) -> Vec<u8> {
    let mut p = b"OggS".to_vec();
    p.push(0);
    p.push(flags);
    p.extend_from_slice(&granule.to_le_bytes());
    p.extend_from_slice(&0x1234_5678u32.to_le_bytes());
    p.extend_from_slice(&seq.to_le_bytes());
    p.extend_from_slice(&[0; 4]); // CRC, filled below
    let mut lacing = vec![255u8; packet.len() / 255];
    lacing.push((packet.len() % 255) as u8);
    p.push(lacing.len() as u8);
    p.extend_from_slice(&lacing);
    p.extend_from_slice(packet);
    let crc = ogg_crc(&p);
    p[22..26].copy_from_slice(&crc.to_le_bytes());
    p
}

fn ogg_crc(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &b in data {
        crc ^= u32::from(b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// A header claiming an absurd sample rate is refused up front (no giant FFT, no panic).
#[test]
fn absurd_sample_rate() {
    let w = Workdir::new();
    let path = w.path("fast.wav");
    crate::testutil::write_wav(&path, 5_000_000, 100, &[&|_t: f64| 0.0]);
    let err = first_error(&path);
    assert!(
        matches!(
            err,
            Error::UnsupportedRate {
                rate: 5_000_000,
                ..
            }
        ),
        "{err:?}"
    );
    assert_names_file(&err, &path);
}
