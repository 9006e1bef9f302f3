//! [`Dialect`]: which wire form a peer speaks.

/// Which wire form of the Realtime API a peer speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    /// The GA protocol (default).
    #[default]
    Ga,
    /// The beta protocol (`OpenAI-Beta: realtime=v1`, Azure preview, Azure Voice Live).
    Beta,
}
