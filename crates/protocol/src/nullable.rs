//! [`Nullable`]: a field value that may be an explicit JSON `null`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value that may be an explicit JSON `null`.
///
/// Used as `Option<Nullable<T>>`: `None` leaves the field out of the JSON, `Some(Nullable::Null)`
/// writes `null` (for example `turn_detection: null` switches server VAD off), and
/// `Some(Nullable::Value(v))` writes the value.
///
/// ```
/// use rtclient_protocol::Nullable;
/// let v: Option<Nullable<u32>> = Some(Nullable::Null);
/// assert_eq!(serde_json::to_string(&v).unwrap(), "null");
/// assert_eq!(Nullable::from(Some(3)).value(), Some(&3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Nullable<T> {
    /// An explicit JSON `null`.
    #[default]
    Null,
    /// A value.
    Value(T),
}

impl<T> Nullable<T> {
    /// The value, or `None` for `null`.
    pub fn value(&self) -> Option<&T> {
        match self {
            Nullable::Null => None,
            Nullable::Value(v) => Some(v),
        }
    }

    /// The value by mutable reference, or `None` for `null`.
    pub fn value_mut(&mut self) -> Option<&mut T> {
        match self {
            Nullable::Null => None,
            Nullable::Value(v) => Some(v),
        }
    }

    /// Converts into an `Option`, losing the difference between absent and `null`.
    pub fn into_option(self) -> Option<T> {
        match self {
            Nullable::Null => None,
            Nullable::Value(v) => Some(v),
        }
    }

    /// True for an explicit `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Nullable::Null)
    }
}

impl<T> From<Option<T>> for Nullable<T> {
    fn from(v: Option<T>) -> Self {
        match v {
            None => Nullable::Null,
            Some(v) => Nullable::Value(v),
        }
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Nullable::Null => s.serialize_none(),
            Nullable::Value(v) => v.serialize(s),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.into())
    }
}
