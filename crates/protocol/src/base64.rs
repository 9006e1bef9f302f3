//! Standard base64 (RFC 4648, with padding), encoding straight into a `String`.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Every 12-bit value as its two base64 characters (8 KiB, built at compile time).
const PAIRS: [[u8; 2]; 4096] = {
    let mut t = [[0u8; 2]; 4096];
    let mut i = 0;
    while i < 4096 {
        t[i] = [ALPHABET[i >> 6], ALPHABET[i & 63]];
        i += 1;
    }
    t
};

/// The length of the base64 encoding of `n` bytes.
pub(crate) fn encoded_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// Appends the base64 encoding of `bytes` to `buf` (ASCII only).
pub(crate) fn encode_into(bytes: &[u8], buf: &mut Vec<u8>) {
    let start = buf.len();
    buf.resize(start + encoded_len(bytes.len()), b'=');
    let out = &mut buf[start..];
    let full = bytes.len() / 3;
    let (head, tail) = bytes.split_at(full * 3);
    for (c, o) in head.chunks_exact(3).zip(out.chunks_exact_mut(4)) {
        let n = (usize::from(c[0]) << 16) | (usize::from(c[1]) << 8) | usize::from(c[2]);
        let [a, b] = PAIRS[n >> 12];
        let [c2, d] = PAIRS[n & 0xfff];
        o.copy_from_slice(&[a, b, c2, d]);
    }
    let o = &mut out[full * 4..];
    match *tail {
        [a] => {
            o[0] = ALPHABET[usize::from(a >> 2)];
            o[1] = ALPHABET[usize::from((a & 3) << 4)];
        }
        [a, b] => {
            o[0] = ALPHABET[usize::from(a >> 2)];
            o[1] = ALPHABET[usize::from(((a & 3) << 4) | (b >> 4))];
            o[2] = ALPHABET[usize::from((b & 15) << 2)];
        }
        _ => {}
    }
}

/// Standard base64 of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut buf = Vec::new();
    encode_into(bytes, &mut buf);
    // Every byte comes from ALPHABET or is '=': always ASCII, so this never falls back.
    String::from_utf8(buf).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(i.as_bytes()), o);
        }
    }

    /// Bit-by-bit reference encoder.
    fn naive(bytes: &[u8]) -> String {
        let mut bits = String::new();
        for b in bytes {
            bits.push_str(&format!("{b:08b}"));
        }
        while !bits.len().is_multiple_of(6) {
            bits.push('0');
        }
        let mut out: String =
            bits.as_bytes()
                .chunks(6)
                .map(|c| {
                    ALPHABET[usize::from_str_radix(std::str::from_utf8(c).unwrap_or("0"), 2)
                        .unwrap_or(0)] as char
                })
                .collect();
        while !out.len().is_multiple_of(4) {
            out.push('=');
        }
        out
    }

    #[test]
    fn matches_reference_for_all_lengths() {
        let data: Vec<u8> = (0..600u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        for n in 0..data.len() {
            assert_eq!(encode(&data[..n]), naive(&data[..n]), "length {n}");
        }
    }
}
