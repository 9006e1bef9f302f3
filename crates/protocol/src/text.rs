//! Byte limits on text: close reasons, log excerpts.

/// The longest close reason a WebSocket close frame can carry: the 125-byte control frame
/// payload less the 2-byte close code (RFC 6455 section 5.5).
pub const MAX_CLOSE_REASON_BYTES: usize = 123;

/// The longest prefix of `text` that is at most `max_bytes` long and does not split a character.
///
/// ```
/// use rtclient_protocol::cut_at_char_boundary;
/// assert_eq!(cut_at_char_boundary("short", 10), "short");
/// assert_eq!(cut_at_char_boundary("héllo", 2), "h"); // `é` is two bytes
/// ```
pub fn cut_at_char_boundary(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_never_split_a_character() {
        let text = "é".repeat(100);
        for max in 0..=text.len() + 1 {
            let cut = cut_at_char_boundary(&text, max);
            assert!(cut.len() <= max);
            assert!(cut.len() + 1 >= max.min(text.len()));
            assert!(cut.chars().all(|c| c == 'é'));
        }
    }
}
