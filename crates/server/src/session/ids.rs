//! Object ids: a prefix (`sess_`, `item_`, `resp_`, `event_`, `conv_`, `call_`) plus random
//! alphanumerics, like the service's.

/// A new id: `prefix` followed by 21 random alphanumerics.
pub(crate) fn new_id(prefix: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + 21);
    id.push_str(prefix);
    for _ in 0..21 {
        id.push(fastrand::alphanumeric());
    }
    id
}
