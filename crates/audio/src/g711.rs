//! ITU-T G.711 mu-law and A-law, bit-exact with the reference implementation (Sun's `g711.c`,
//! as used by sox, ffmpeg and the ITU software tools).
//!
//! Encoding maps a 16-bit linear sample to one byte; decoding uses 256-entry tables built at
//! compile time. The round-trip error is at most half a quantisation step: 4 to 512 for mu-law
//! below its clip level (32,635), 8 to 512 for A-law.

/// Encodes one 16-bit sample as G.711 mu-law. `ulaw_encode(0) == 0xFF`.
pub fn ulaw_encode(sample: i16) -> u8 {
    const BIAS: i32 = 0x84 >> 2;
    const CLIP: i32 = 8159;
    let mut v = i32::from(sample) >> 2;
    let mask: u8 = if v < 0 {
        v = -v;
        0x7F
    } else {
        0xFF
    };
    v = v.min(CLIP) + BIAS;
    let seg = segment(v, &ULAW_SEG_END);
    if seg >= 8 {
        return 0x7F ^ mask;
    }
    let uval = ((seg as u8) << 4) | (((v >> (seg + 1)) & 0xF) as u8);
    uval ^ mask
}

/// Decodes one G.711 mu-law byte to a 16-bit sample. `ulaw_decode(0xFF) == 0`.
pub fn ulaw_decode(byte: u8) -> i16 {
    ULAW_TABLE[usize::from(byte)]
}

/// Encodes one 16-bit sample as G.711 A-law. `alaw_encode(0) == 0xD5`.
pub fn alaw_encode(sample: i16) -> u8 {
    let mut v = i32::from(sample) >> 3;
    let mask: u8 = if v >= 0 {
        0xD5
    } else {
        v = -v - 1;
        0x55
    };
    let seg = segment(v, &ALAW_SEG_END);
    if seg >= 8 {
        return 0x7F ^ mask;
    }
    let quant = if seg < 2 {
        (v >> 1) & 0xF
    } else {
        (v >> seg) & 0xF
    };
    (((seg as u8) << 4) | quant as u8) ^ mask
}

/// Decodes one G.711 A-law byte to a 16-bit sample. `alaw_decode(0xD5) == 8`.
pub fn alaw_decode(byte: u8) -> i16 {
    ALAW_TABLE[usize::from(byte)]
}

const ULAW_SEG_END: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];
const ALAW_SEG_END: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];

/// Index of the first segment whose end is >= `v`, or 8 if none.
fn segment(v: i32, ends: &[i32; 8]) -> i32 {
    let mut i = 0;
    while i < 8 {
        if v <= ends[i] {
            return i as i32;
        }
        i += 1;
    }
    8
}

const ULAW_TABLE: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        let u = !(i as u8);
        let mut v: i32 = (((u & 0x0F) as i32) << 3) + 0x84;
        v <<= ((u & 0x70) >> 4) as i32;
        t[i] = if u & 0x80 != 0 {
            (0x84 - v) as i16
        } else {
            (v - 0x84) as i16
        };
        i += 1;
    }
    t
};

const ALAW_TABLE: [i16; 256] = {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        let a = (i as u8) ^ 0x55;
        let mut v: i32 = ((a & 0x0F) as i32) << 4;
        let seg = ((a & 0x70) >> 4) as i32;
        match seg {
            0 => v += 8,
            1 => v += 0x108,
            _ => {
                v += 0x108;
                v <<= seg - 1;
            }
        }
        t[i] = if a & 0x80 != 0 { v as i16 } else { -v as i16 };
        i += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x7F), 0);
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_decode(0xAA), 32256);
        assert_eq!(alaw_decode(0x2A), -32256);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_encode(i16::MIN), 0x2A);
        assert_eq!(ulaw_encode(-1), 0x7E);
        assert_eq!(alaw_encode(-1), 0x55);
    }

    #[test]
    fn decode_then_encode_is_identity() {
        for b in 0..=255u8 {
            // mu-law has two codes for zero (0x7F and 0xFF); encoding 0 gives 0xFF.
            if b != 0x7F {
                assert_eq!(ulaw_encode(ulaw_decode(b)), b, "mu-law {b:#04x}");
            }
            assert_eq!(alaw_encode(alaw_decode(b)), b, "A-law {b:#04x}");
        }
    }

    #[test]
    fn round_trip_error_within_half_step() {
        for x in i16::MIN..=i16::MAX {
            let a = i32::from(x).abs();
            let u_err = (i32::from(ulaw_decode(ulaw_encode(x))) - i32::from(x)).abs();
            if a <= 32_635 {
                // Half a step: the step doubles each segment, 8 at the bottom, 1024 at the top.
                let bound = (a + 132) / 32 + 4;
                assert!(u_err <= bound, "mu-law x={x} err={u_err} bound={bound}");
            }
            let a_err = (i32::from(alaw_decode(alaw_encode(x))) - i32::from(x)).abs();
            let bound = (a / 32).max(8) + 8;
            assert!(
                a_err <= bound.min(512 + 8),
                "A-law x={x} err={a_err} bound={bound}"
            );
        }
    }

    #[test]
    fn monotonic() {
        let mut prev = i16::MIN;
        for x in i16::MIN..=i16::MAX {
            let d = ulaw_decode(ulaw_encode(x));
            assert!(d >= prev);
            prev = d;
        }
    }
}
