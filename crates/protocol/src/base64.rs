//! Standard base64 (RFC 4648, with padding), encoding straight into a `String`.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

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
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        o[0] = ALPHABET[(n >> 18) as usize & 63];
        o[1] = ALPHABET[(n >> 12) as usize & 63];
        o[2] = ALPHABET[(n >> 6) as usize & 63];
        o[3] = ALPHABET[n as usize & 63];
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
}
